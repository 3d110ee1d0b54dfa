#!/usr/bin/env python3
"""Provider oracle: checks provider client messages against the providers' official SDK types.

Every message that tokenbudget puts in a `send` array must be a client message that the provider's own
SDK types accept, written exactly as it goes on the wire:

  gemini-live      google-genai  google.genai.types.LiveClientMessage (and the types it contains)
  openai-realtime  openai        openai.types.realtime.RealtimeClientEvent (the union by "type")

Run it with the python that scripts/bootstrap-oracles.sh prints (that venv has the pinned SDKs).

Input (stdin, or the files named): JSON lines, each {"provider": ..., "message": {...}}, or one JSON
array of such objects. Other keys beside "provider" and "message" (e.g. "why", "name") are ignored.
Blank lines are skipped.

Output: one line per message, "ok <n> <provider> <kind>" or "FAIL <n> <provider> <kind>: <error>; ...",
then "N passed, M failed". Exit 0 when all pass, 1 when any fails, 2 when the SDKs are missing.
With --json each result line is a JSON object {"index", "provider", "kind", "ok", "errors"} instead;
the closing "N passed, M failed" line is the same.
With --expect-invalid every message must be rejected: a rejected message counts as passed.

Strict means, beyond what the SDK's validator does:
  * unknown keys are errors at every depth (the openai models allow extras; google-genai forbids them
    but also accepts snake_case names, which the oracle rejects: Gemini messages must use the camelCase
    names that the SDK serializes with by_alias=True, as in the Live API reference);
  * JSON types must be the field's own: no "1000" for an integer, no 1 for a boolean;
  * Gemini: a field whose wire type is a message (e.g. systemInstruction: Content, speechConfig)
    must be a JSON object of that message, not one of the SDK's convenience forms (a string, a Part,
    a list of parts); a LiveClientMessage must set exactly one of its fields (the wire's oneof).
"""

from __future__ import annotations

import argparse
import enum
import json
import sys
import types
import typing
from typing import Any

try:
    import pydantic
    from google.genai import types as genai_types
    from openai.types.realtime import realtime_client_event
except ImportError as exc:  # pragma: no cover - depends on the environment
    print(
        f"provider_oracle: cannot import the SDKs ({exc}); run scripts/bootstrap-oracles.sh and use the python it prints",
        file=sys.stderr,
    )
    sys.exit(2)

PROVIDERS = ("gemini-live", "openai-realtime")

# --- helpers ---------------------------------------------------------------------------------------


def _flat_args(annotation: Any) -> list[Any]:
    """The members of a (nested) Union/Optional annotation, flattened; a non-union gives [annotation]."""
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        out: list[Any] = []
        for arg in typing.get_args(annotation):
            out.extend(_flat_args(arg))
        return out
    if origin is typing.Annotated:
        return _flat_args(typing.get_args(annotation)[0])
    return [annotation]


def _is_model_class(x: Any) -> bool:
    return isinstance(x, type) and issubclass(x, pydantic.BaseModel)


def _gemini_wire_model(annotation: Any) -> type | None:
    """For a google-genai field whose SDK type is a union of a message and convenience forms, the message
    the wire carries (Content for ContentUnion, SpeechConfig for SpeechConfigUnion); None otherwise."""
    args = _flat_args(annotation)
    if any(a is dict or typing.get_origin(a) is dict for a in args):
        return None  # free-form (e.g. SchemaUnion accepts a JSON schema dict)
    models = [a for a in args if _is_model_class(a)]
    if genai_types.Content in models:
        return genai_types.Content
    if len(models) == 1 and len([a for a in args if a is not type(None)]) > 1:
        return models[0]
    return None


def _json_type(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return type(v).__name__


def _walk(raw: Any, value: Any, path: str, errors: list[str], gemini: bool, annotation: Any = None) -> None:
    """Compare the raw JSON with what the SDK validated it into: keys, names and JSON types."""
    if gemini and annotation is not None and raw is not None:
        wire = _gemini_wire_model(annotation)
        if wire is not None and (not isinstance(raw, dict) or not isinstance(value, wire)):
            errors.append(
                f"{path}: the wire type is a {wire.__name__} object; got {_json_type(raw)}"
                + (f" read as {type(value).__name__}" if isinstance(value, pydantic.BaseModel) else "")
                + " (an SDK convenience form, not wire JSON)"
            )
            return
    if isinstance(value, pydantic.BaseModel):
        if not isinstance(raw, dict):
            errors.append(f"{path}: expected an object, got {_json_type(raw)}")
            return
        fields = type(value).model_fields
        by_wire_name: dict[str, str] = {}
        for name, info in fields.items():
            by_wire_name[info.alias or name] = name
        for key, sub in raw.items():
            where = f"{path}.{key}" if path else key
            if key not in by_wire_name:
                snake = next((n for n, i in fields.items() if n == key and i.alias and i.alias != n), None)
                if snake is not None:
                    errors.append(f"{where}: use the wire name '{fields[snake].alias}' (camelCase), not '{key}'")
                else:
                    known = ", ".join(sorted(by_wire_name))
                    errors.append(f"{where}: unknown key for {type(value).__name__} (known: {known})")
                continue
            name = by_wire_name[key]
            _walk(sub, getattr(value, name), where, errors, gemini, fields[name].annotation)
        return
    if isinstance(value, list):
        if not isinstance(raw, list):
            errors.append(f"{path}: expected an array, got {_json_type(raw)}")
            return
        item_annotation = None
        if annotation is not None:
            for a in _flat_args(annotation):
                if typing.get_origin(a) is list:
                    item_annotation = typing.get_args(a)[0] if typing.get_args(a) else None
                    break
        for i, (r, v) in enumerate(zip(raw, value)):
            _walk(r, v, f"{path}[{i}]", errors, gemini, item_annotation)
        return
    if isinstance(value, dict):
        if not isinstance(raw, dict):
            errors.append(f"{path}: expected an object, got {_json_type(raw)}")
        return  # free-form maps (function arguments, JSON schemas): not checked further
    if value is None:
        if raw is not None:
            errors.append(f"{path}: expected null, got {_json_type(raw)}")
        return
    if isinstance(value, enum.Enum):
        expected = "string" if isinstance(value.value, str) else _json_type(value.value)
        if _json_type(raw) != expected:
            errors.append(f"{path}: expected JSON {expected} (enum {type(value).__name__}), got {_json_type(raw)}")
        return
    if isinstance(value, bool):
        ok = isinstance(raw, bool)
        expected = "boolean"
    elif isinstance(value, int):
        ok = isinstance(raw, int) and not isinstance(raw, bool)
        expected = "integer"
    elif isinstance(value, float):
        ok = isinstance(raw, (int, float)) and not isinstance(raw, bool)
        expected = "number"
    elif isinstance(value, (str, bytes)):
        ok = isinstance(raw, str)
        expected = "string" if isinstance(value, str) else "string (base64)"
    else:
        ok = True
        expected = ""
    if not ok:
        errors.append(f"{path}: expected JSON {expected}, got {_json_type(raw)} {json.dumps(raw)[:40]}")


def _branch_filtered(errors: list[dict]) -> list[dict]:
    """Union errors name every branch (e.g. item.RealtimeConversationItemUserMessage.role). Keep the
    branches whose discriminators (`type`, `role`) matched, so a bad part of a user message is reported
    as such and not drowned in 'role should be system/assistant' for the other branches."""
    branches: dict[tuple, list[dict]] = {}
    plain: list[dict] = []
    for err in errors:
        loc = tuple(err.get("loc", ()))
        cut = next((i for i, p in enumerate(loc) if isinstance(p, str) and p[:1].isupper()), None)
        if cut is None:
            plain.append(err)
        else:
            branches.setdefault(loc[: cut + 1], []).append(err)
    matched = [
        errs
        for branch, errs in branches.items()
        if not any(tuple(e.get("loc", ()))[len(branch):] in (("type",), ("role",)) for e in errs)
    ]
    if not branches or not matched:
        return errors
    return plain + [e for errs in matched for e in errs]


def _pydantic_errors(exc: pydantic.ValidationError, limit: int = 6) -> list[str]:
    out = []
    errors = _branch_filtered(exc.errors())
    for err in errors[:limit]:
        loc = ".".join(str(p) for p in err.get("loc", ()))
        out.append(f"{loc or '<message>'}: {err.get('msg')}")
    if len(errors) > limit:
        out.append(f"... {len(errors) - limit} more")
    return out


# --- the two providers -----------------------------------------------------------------------------

_GEMINI_ADAPTER = pydantic.TypeAdapter(genai_types.LiveClientMessage)


# Setup keys that the SDK's own converter writes on the wire (`_LiveConnectConfig_to_mldev` in
# google/genai/_live_converters.py) but that its LiveClientSetup type lacks (google-genai 3.6.1):
# checked against the LiveConnectConfig field's type instead, and only while the converter writes them.
_SETUP_KEYS_OF_THE_CONVERTER = {"realtimeInputConfig": "realtime_input_config"}


def _converter_writes(key: str) -> bool:
    import inspect

    from google.genai import _live_converters

    return f"['setup', '{key}']" in inspect.getsource(_live_converters)


def _check_converter_setup_keys(message: dict, errors: list[str]) -> dict:
    """The message without those keys, each checked on its own; errors appended."""
    setup = message.get("setup")
    if not isinstance(setup, dict):
        return message
    rest = dict(setup)
    for key, field in _SETUP_KEYS_OF_THE_CONVERTER.items():
        if key not in rest or key in genai_types.LiveClientSetup.model_fields:
            continue
        raw = rest.pop(key)
        if not _converter_writes(key):
            errors.append(f"setup.{key}: neither LiveClientSetup nor the SDK's converter has it")
            continue
        annotation = genai_types.LiveConnectConfig.model_fields[field].annotation
        wire = next(a for a in _flat_args(annotation) if _is_model_class(a))
        try:
            value = wire.model_validate_json(json.dumps(raw))
        except pydantic.ValidationError as exc:
            errors.extend(f"setup.{key}.{e}" for e in _pydantic_errors(exc))
            continue
        _walk(raw, value, f"setup.{key}", errors, gemini=True, annotation=annotation)
    return {**message, "setup": rest}


def check_gemini(message: Any) -> tuple[str, list[str]]:
    if not isinstance(message, dict):
        return "?", [f"message: expected an object, got {_json_type(message)}"]
    kind = ",".join(message.keys()) or "empty"
    converter_errors: list[str] = []
    message = _check_converter_setup_keys(message, converter_errors)
    if converter_errors:
        return kind, converter_errors
    try:
        validated = genai_types.LiveClientMessage.model_validate_json(json.dumps(message))
    except pydantic.ValidationError as exc:
        return kind, _pydantic_errors(exc)
    errors: list[str] = []
    _walk(message, validated, "", errors, gemini=True)
    set_fields = [k for k, v in message.items() if v is not None]
    if len(set_fields) != 1:
        errors.append(
            f"<message>: exactly one of setup, clientContent, realtimeInput, toolResponse, contextUpdate must be set; got {set_fields}"
        )
    return kind, errors


def _openai_events() -> dict[str, type]:
    union = typing.get_args(realtime_client_event.RealtimeClientEvent)[0]
    out = {}
    for cls in typing.get_args(union):
        literal = cls.model_fields["type"].annotation
        for value in typing.get_args(literal):
            out[value] = cls
    return out


OPENAI_EVENTS = _openai_events()


def check_openai(message: Any) -> tuple[str, list[str]]:
    if not isinstance(message, dict):
        return "?", [f"message: expected an object, got {_json_type(message)}"]
    kind = message.get("type")
    if not isinstance(kind, str) or kind not in OPENAI_EVENTS:
        return str(kind), [f"type: {json.dumps(kind)} is not a realtime client event (known: {', '.join(sorted(OPENAI_EVENTS))})"]
    cls = OPENAI_EVENTS[kind]
    try:
        validated = cls.model_validate_json(json.dumps(message))
    except pydantic.ValidationError as exc:
        return kind, [f"{cls.__name__}: {e}" for e in _pydantic_errors(exc)]
    errors: list[str] = []
    _walk(message, validated, "", errors, gemini=False)
    return kind, errors


def check(entry: Any) -> tuple[str, str, list[str]]:
    if not isinstance(entry, dict):
        return "?", "?", [f"entry: expected an object with provider and message, got {_json_type(entry)}"]
    provider = entry.get("provider")
    if provider not in PROVIDERS:
        return str(provider), "?", [f"provider: must be one of {', '.join(PROVIDERS)}"]
    if "message" not in entry:
        return provider, "?", ["entry: no message"]
    if provider == "gemini-live":
        kind, errors = check_gemini(entry["message"])
    else:
        kind, errors = check_openai(entry["message"])
    return provider, kind, errors


# --- input, output ---------------------------------------------------------------------------------


def read_entries(text: str, source: str) -> list[Any]:
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as exc:
            return [_Unparsed(f"{source}: not JSON: {exc}")]
        return list(data)
    entries: list[Any] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            entries.append(json.loads(line))
        except json.JSONDecodeError as exc:
            entries.append(_Unparsed(f"{source}:{number}: not JSON: {exc}"))
    return entries


class _Unparsed:
    def __init__(self, error: str) -> None:
        self.error = error


def run(entries: list[Any], expect_invalid: bool, as_json: bool, out=sys.stdout) -> int:
    passed = failed = 0
    for index, entry in enumerate(entries, 1):
        if isinstance(entry, _Unparsed):
            provider, kind, errors = "?", "?", [entry.error]
        else:
            provider, kind, errors = check(entry)
        ok = not errors
        good = ok != expect_invalid
        if isinstance(entry, _Unparsed):
            good = False
        passed += good
        failed += not good
        if as_json:
            print(json.dumps({"index": index, "provider": provider, "kind": kind, "ok": ok, "errors": errors}), file=out)
        else:
            verdict = "ok" if ok else "FAIL"
            line = f"{verdict} {index} {provider} {kind}"
            if errors:
                line += ": " + "; ".join(errors)
            if expect_invalid:
                line = ("rejected as expected " if not ok else "ACCEPTED but expected invalid ") + line
            print(line, file=out)
    print(f"{passed} passed, {failed} failed", file=out)
    return 0 if failed == 0 else 1


# --- self-test -------------------------------------------------------------------------------------

SELF_TEST: list[tuple[bool, str, dict]] = [
    (True, "gemini-live", {"clientContent": {"turns": [{"role": "user", "parts": [{"text": "Hello"}]}], "turnComplete": True}}),
    (True, "gemini-live", {"setup": {"model": "models/gemini-live-2.5-flash-preview", "systemInstruction": {"parts": [{"text": "Be brief."}]},
                                     "contextWindowCompression": {"triggerTokens": 25600, "slidingWindow": {"targetTokens": 12800}},
                                     "sessionResumption": {"handle": "h1"}, "historyConfig": {"initialHistoryInClientContent": True}}}),
    (True, "gemini-live", {"realtimeInput": {"audio": {"data": "AAAA", "mimeType": "audio/pcm;rate=16000"}}}),
    (False, "gemini-live", {"clientContent": {"turns": [{"role": "user", "parts": [{"text": "Hello"}], "hash": "abc"}]}}),
    (False, "gemini-live", {"clientContent": {"turns": [], "turn_complete": True}}),
    (False, "gemini-live", {"setup": {"contextWindowCompression": {"triggerTokens": "25600"}}}),
    (False, "gemini-live", {"setup": {"systemInstruction": "Be brief."}}),
    (False, "gemini-live", {"setup": {"model": "m"}, "clientContent": {"turnComplete": True}}),
    (True, "openai-realtime", {"type": "session.update", "session": {"type": "realtime", "instructions": "Be brief.", "truncation": "auto"}}),
    (True, "openai-realtime", {"type": "conversation.item.create", "previous_item_id": "root",
                               "item": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Hi"}]}}),
    (True, "openai-realtime", {"type": "conversation.item.delete", "item_id": "item_abc"}),
    (False, "openai-realtime", {"type": "conversation.item.create", "hash": "abc",
                                "item": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Hi"}]}}),
    (False, "openai-realtime", {"type": "conversation.item.create",
                                "item": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Hi", "hash": "x"}]}}),
    (False, "openai-realtime", {"type": "conversation.item.create",
                                "item": {"type": "message", "role": "assistant", "content": [{"type": "input_text", "text": "Hi"}]}}),
    (False, "openai-realtime", {"type": "session.update", "session": {"type": "realtime", "truncation": {"type": "retention_ratio", "retention_ratio": "0.8"}}}),
    (False, "openai-realtime", {"type": "conversation.item.remove", "item_id": "item_abc"}),
]


def self_test() -> int:
    failures = 0
    for number, (should_pass, provider, message) in enumerate(SELF_TEST, 1):
        _, kind, errors = check({"provider": provider, "message": message})
        good = (not errors) == should_pass
        failures += not good
        state = "ok" if good else "FAIL"
        detail = "accepted" if not errors else "rejected: " + "; ".join(errors)
        print(f"{state} self-test {number} {provider} {kind} expected {'valid' if should_pass else 'invalid'}, {detail}")
    print(f"{len(SELF_TEST) - failures} passed, {failures} failed")
    return 0 if failures == 0 else 1


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="*", help="JSON-lines or JSON-array files (default: stdin)")
    parser.add_argument("--self-test", action="store_true", help="check known-good and known-bad messages")
    parser.add_argument("--expect-invalid", action="store_true", help="every message must be rejected")
    parser.add_argument("--json", action="store_true", help="one JSON object per result line")
    parser.add_argument("--versions", action="store_true", help="print the SDK versions and exit")
    args = parser.parse_args(argv)
    if args.versions:
        from importlib.metadata import version

        print(f"google-genai {version('google-genai')}\nopenai {version('openai')}\npydantic {version('pydantic')}")
        return 0
    if args.self_test:
        return self_test()
    entries: list[Any] = []
    if args.files:
        for name in args.files:
            with open(name, encoding="utf-8") as f:
                entries.extend(read_entries(f.read(), name))
    else:
        entries = read_entries(sys.stdin.read(), "<stdin>")
    return run(entries, args.expect_invalid, args.json)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
