#!/usr/bin/env python3
"""Real recorded dialogues through `tokenbudget serve` for both providers, checked two ways:

1. every message of every `send` and of every re-seed plan validates against the providers' official
   SDK types (scripts/provider_oracle.py: google-genai's LiveClientMessage, openai's realtime client
   events), so run this with the oracle's python: `"$(bash scripts/bootstrap-oracles.sh | tail -n 1)"`;
2. a provider simulator built from the providers' documented rules, fed only with those messages and
   with the turns the provider creates itself (spoken turns, the model's answers), holds after every
   event exactly what the engine's `provider.held` says, and never more than the limit:
   - Gemini Live: append-only; `setup` starts a new connection (a re-seed replaces everything);
     `clientContent` turns and `realtimeInput.text` add text; its own sliding window (`triggerTokens`
     → `targetTokens`, oldest turns first, the system instruction kept) is simulated too — if it ever
     fired, the engine would have let the provider fill up;
   - OpenAI Realtime: items created (after `previous_item_id`, which must exist, or `root`) and
     deleted by id (an unknown id is an error, as at OpenAI); `session.update` sets the instructions.
   Audio: each spoken turn's duration comes from its text at a stated speaking rate (`--wpm`, 150
   words per minute, at least 400 ms), counted at the documented rates (Gemini 32 tokens/s; OpenAI 1
   token per 100 ms of user audio, per 50 ms of assistant audio) plus the per-item framing the open
   answer states. Text is counted with the engine's own counts of each item (the tokenizers are
   checked against tiktoken and sentencepiece elsewhere).

Each provider runs with its default policy, then with a strategy's variant: Gemini with the
instruction through the system instruction (`contextUpdate`), OpenAI without deletes under its own
`truncation: "auto"` (the simulator drops the oldest items past the 28,224 input tokens).

Per dialogue: a manager instruction every exchange, `client.speechStarted` before each user turn,
every fifth user turn in two chunks, a `usage.report` of the simulator's count after each model turn
(the drift must be 0), and a `resume.goAway` each time the recording passes `--connection-seconds`
of call time (Gemini's connections last ~600 s; 60 here, so that the recordings cross several),
answered as a relay would: re-seed, or resume with the handle.

    python3 scripts/provider_e2e.py [--binary .build/debug/tokenbudget] [--sessions DIR] [--limit N]

Prints one line per provider and `N passed, M failed`; exit 1 on any failure.
"""
import argparse, json, math, os, pathlib, subprocess, sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import provider_oracle  # noqa: E402
import jsonschema  # noqa: E402  (pinned by scripts/bootstrap-oracles.sh)

parser = argparse.ArgumentParser()
parser.add_argument("--binary", default=os.environ.get("TOKENBUDGET_BIN", str(ROOT / ".build/debug/tokenbudget")))
parser.add_argument("--sessions", default=None, help="a folder of recorded dialogues (default: ../shared/sessions)")
parser.add_argument("--limit", type=int, default=0, help="at most this many dialogues (0: all)")
parser.add_argument("--wpm", type=float, default=150.0, help="speaking rate that turns text into audio time")
parser.add_argument("--connection-seconds", type=float, default=60.0,
                    help="call time between goAways (Gemini's ~600 s, shortened so that the recordings, most "
                         "of them 1-4 minutes long, cross several)")
args = parser.parse_args()

shared = ROOT.parent / "shared"
sessions_dir = pathlib.Path(args.sessions) if args.sessions else shared / "sessions"
if not sessions_dir.is_dir():
    print(f"provider e2e: {sessions_dir} is absent; using the repo's fixtures/sessions (3 dialogues)")
    sessions_dir = ROOT / "fixtures/sessions"
files = sorted(p for p in sessions_dir.rglob("*.jsonl") if "_raw" not in p.parts)
if args.limit:
    files = files[: args.limit]
script_path = shared / "scripts/abcd_agent_guidelines.md"
if not script_path.exists():
    script_path = ROOT / "fixtures/scripts/donation-agent.md"
script = script_path.read_text(encoding="utf-8")
instructions = [l.strip() for l in open(ROOT / "fixtures/instructions.txt", encoding="utf-8") if l.strip()]

RATES = {"gemini-live": (32.0, 32.0), "openai-realtime": (10.0, 20.0)}
failures: list[str] = []
checks = 0


OPENRPC = json.loads((ROOT / "docs/openrpc.json").read_text(encoding="utf-8"))
GENERIC_ERRORS = {-32700, -32600, -32601, -32602, -32603}
ERROR_CODES = {e["code"] for e in OPENRPC["components"]["errors"].values()}


def _validator(schema):
    return jsonschema.Draft202012Validator({**schema, "components": OPENRPC["components"]})


RESULTS = {m["name"]: _validator(m["result"]["schema"]) for m in OPENRPC["methods"]}
METHOD_ERRORS = {m["name"]: {OPENRPC["components"]["errors"][e["$ref"].rsplit("/", 1)[1]]["code"] for e in m["errors"]}
                 for m in OPENRPC["methods"]}
NOTIFICATIONS = {n["name"]: _validator(n["params"]) for n in OPENRPC["x-notifications"]}
answers_checked = [0]


def check_answer(method, answer):
    """Every answer and notification against docs/openrpc.json: the result's schema, or an error whose
    code the method declares."""
    answers_checked[0] += 1
    if "method" in answer and "id" not in answer:
        errors = [e.message for e in NOTIFICATIONS[answer["method"]].iter_errors(answer["params"])]
        check(not errors, f"openrpc: notification {answer['method']}: {errors[:2]}")
    elif "error" in answer:
        code = answer["error"].get("code")
        check(code in METHOD_ERRORS[method] | GENERIC_ERRORS, f"openrpc: {method} answered code {code}, not declared for it")
        check(isinstance(answer["error"].get("message"), str), f"openrpc: {method} error without a message")
    else:
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:160]}" for e in RESULTS[method].iter_errors(answer["result"])]
        check(not errors, f"openrpc: {method} result does not match its schema: {errors[:2]}")


def check(condition, message):
    global checks
    checks += 1
    if not condition:
        failures.append(message)
        if len(failures) <= 20:
            print("FAIL", message)


def audio_ms(text):
    return max(400, round(len(text.split()) / args.wpm * 60_000))


class Simulator:
    """What the provider holds, from the documented rules only."""

    def __init__(self, provider, overhead, script_tokens, counts):
        self.provider, self.overhead, self.counts = provider, overhead, counts
        self.script_tokens = script_tokens
        self.items = {}  # id -> tokens, in insertion order (dicts keep it)
        self.audio = {}  # id -> the audio part of a spoken item's tokens
        self.handle = None  # Gemini: the latest resumption handle the relay reported
        self.next = 0
        self.trigger = self.target = None

    @property
    def held(self):
        return sum(self.items.values())

    @property
    def held_audio(self):
        return sum(tokens for key, tokens in self.audio.items() if key in self.items)

    def text_tokens(self, text, framed=True):
        if text not in self.counts:
            # A system instruction with the instructions inside it after the script (`contextUpdate`):
            # the ledger counts its parts, as the engine counted them. A part may hold blank lines
            # itself, so the split into known texts is searched.
            parts = self.known_parts(text)
            if parts is not None:
                return sum(self.counts[part] for part in parts) + (self.overhead if framed else 0)
        check(text in self.counts, f"{self.provider}: a message carries text the engine never counted: {text[:60]!r}")
        return self.counts.get(text, 0) + (self.overhead if framed else 0)

    def known_parts(self, text):
        """The texts the engine counted that `text` is made of, joined by blank lines (the script and
        the instructions after it), peeled off from the end, or None. A part may hold blank lines
        itself, and the script may end in a line break: the shortest counted tail is taken each time."""
        parts = []
        while text not in self.counts:
            end = len(text)
            while True:
                cut = text.rfind("\n\n", 0, end)  # every occurrence from the right, overlapping ones too
                if cut < 0:
                    return None
                if text[cut + 2:] in self.counts:
                    break
                end = cut + 1
            parts.insert(0, text[cut + 2:])
            text = text[:cut]
        return [text] + parts if parts else None

    def key(self):
        self.next += 1
        return f"#{self.next}"

    def apply(self, message):
        if self.provider == "gemini-live":
            if "setup" in message and (message["setup"].get("sessionResumption") or {}).get("handle"):
                # Resumed with a handle: the provider restores what it held.
                check(message["setup"]["sessionResumption"]["handle"] == self.handle,
                      f"gemini: resumed with {message['setup']['sessionResumption']['handle']}, the latest handle is {self.handle}")
            elif "setup" in message:
                setup = message["setup"]
                self.items = {"system": self.text_tokens(setup["systemInstruction"]["parts"][0]["text"])}
                compression = setup.get("contextWindowCompression") or {}
                self.trigger = compression.get("triggerTokens")
                self.target = (compression.get("slidingWindow") or {}).get("targetTokens")
            elif "clientContent" in message:
                for turn in message["clientContent"].get("turns", []):
                    self.items[self.key()] = self.text_tokens("".join(p["text"] for p in turn["parts"]))
            elif "realtimeInput" in message:
                self.items[self.key()] = self.text_tokens(message["realtimeInput"]["text"])
            elif "contextUpdate" in message:
                # Replaces the system instruction: what it held before is gone.
                self.items["system"] = self.text_tokens(message["contextUpdate"]["systemInstruction"]["parts"][0]["text"])
            self.slide()
        else:
            kind = message["type"]
            if kind == "session.update":
                self.items = {"instructions": self.text_tokens(message["session"]["instructions"])}
                self.truncate_auto = message["session"].get("truncation") == "auto"
            elif kind == "conversation.item.create":
                previous = message.get("previous_item_id")
                check(previous == "root" or previous in self.items,
                      f"openai: previous_item_id {previous} is not an item the provider holds")
                item = message["item"]
                check(item["id"] not in self.items, f"openai: item id {item['id']} created twice")
                self.items[item["id"]] = self.text_tokens(item["content"][0]["text"])
            elif kind == "conversation.item.delete":
                check(message["item_id"] in self.items, f"openai: delete of unknown item {message['item_id']}")
                self.items.pop(message["item_id"], None)
            self.slide()

    def spoken(self, key, role, ms):
        """A turn the provider created from audio (or extended: a chunk's cumulative duration)."""
        user, model = RATES[self.provider]
        rate = user if role == "user" else model
        self.audio[key] = math.ceil(ms * rate / 1000)
        self.items[key] = self.audio[key] + self.overhead
        self.slide()

    def slide(self):
        # OpenAI's truncation "auto": past its 28,224 input tokens the oldest items go.
        if self.provider == "openai-realtime":
            if getattr(self, "truncate_auto", False):
                for key in [k for k in self.items if k != "instructions"]:
                    if self.held <= 28_224:
                        break
                    del self.items[key]
            return
        # Gemini's sliding window: past triggerTokens it drops the oldest turns, keeping the system
        # instruction, down to targetTokens. The engine must re-seed before this ever happens.
        if not self.trigger or self.held <= self.trigger:
            return
        for key in [k for k in self.items if k != "system"]:
            if self.held <= self.target:
                break
            del self.items[key]


def drive(provider, provider_policy=None, policy=None):
    serve = subprocess.Popen([args.binary, "serve", "--store", "none"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True, bufsize=1)
    next_id = [0]
    messages = []  # for the oracle
    counts = {}
    stats = {"events": 0, "reseeds": 0, "reconnects": 0, "peak": 0, "limit": 0}

    def call(method, **params):
        next_id[0] += 1
        serve.stdin.write(json.dumps({"jsonrpc": "2.0", "id": next_id[0], "method": method, "params": params}) + "\n")
        serve.stdin.flush()
        while True:
            answer = json.loads(serve.stdout.readline())
            if answer.get("id") == next_id[0]:
                check_answer(method, answer)
                return answer
            check_answer(answer.get("method"), answer)
            if answer.get("method") == "provider.drift":
                check(False, f"{provider}: drift notified: {answer['params']}")

    for index, path in enumerate(files):
        session = f"{provider[:2]}{index}"
        events = [json.loads(l) for l in open(path, encoding="utf-8") if l.strip()]
        extra = {"providerPolicy": provider_policy} if provider_policy else {}
        if policy:
            extra["policy"] = policy
        opened = call("session.open", session=session, script=script, provider=provider, **extra)
        if "error" in opened:
            check(False, f"{provider} {path.name}: open failed: {opened['error']}")
            continue
        result = opened["result"]
        overhead = result["capacity"]["overheadPerItem"]
        counts[script] = result["script"]["tokens"]
        sim = Simulator(provider, overhead, result["script"]["tokens"], counts)
        texts = {}

        def follow(label, answer):
            if "error" in answer:
                check(False, f"{provider} {path.name} {label}: {answer['error']['message']}")
                return None
            r = answer["result"]
            for item in r.get("delta", {}).get("added", []):
                texts[item["id"]] = item["text"]
                counts[item["text"]] = item["tokens"]
            # An updated item carries only the text appended since (docs/protocol.md).
            for item in r.get("delta", {}).get("updated", []):
                texts[item["id"]] = texts.get(item["id"], "") + item["appended"]
                counts[texts[item["id"]]] = item["tokens"]
            for message in r.get("send", []):
                messages.append({"provider": provider, "message": message})
                sim.apply(message)
            provider_state = r.get("provider")
            if provider_state:
                stats["events"] += 1
                stats["peak"] = max(stats["peak"], provider_state["held"])
                stats["limit"] = provider_state["limit"]
                check(sim.held == provider_state["held"],
                      f"{provider} {path.name} {label}: the simulator holds {sim.held}, the engine says {provider_state['held']}")
                check(sim.held <= provider_state["limit"],
                      f"{provider} {path.name} {label}: {sim.held} held, over the limit {provider_state['limit']}")
            if "reseed" in r:
                plan = r["reseed"]
                for message in plan["send"]:
                    messages.append({"provider": provider, "message": message})
                for item in (r.get("delta") or {}).get("added", []):
                    counts[item["text"]] = item["tokens"]
                snapshot_counts(session)
                for message in plan["send"]:
                    sim.apply(message)
                stats["reseeds"] += 1
                confirmed = call("resume.connected", session=session, reseeded=True)
                follow("resume.connected", confirmed)
                check(sim.held == plan["held"], f"{provider} {path.name}: the seed holds {sim.held}, the plan said {plan['held']}")
            return r

        def snapshot_counts(session):
            snap = call("context.snapshot", session=session, renderer="neutral")["result"]["snapshot"]
            for item in snap["items"]:
                counts[item["text"]] = item["tokens"]

        for message in result.get("send", []):
            messages.append({"provider": provider, "message": message})
            sim.apply(message)
        check(sim.held == result["provider"]["held"], f"{provider} {path.name}: open holds {sim.held} vs {result['provider']['held']}")
        if provider == "gemini-live":
            sim.handle = f"handle-{session}"
            call("resume.update", session=session, handle=sim.handle, resumable=True)
        exchange, items, next_go_away = 0, 0, args.connection_seconds
        answer_input, input_reseeds = None, 0  # what the next answer begins with (its usage report)
        for event in events:
            if event.get("t", 0) >= next_go_away:
                next_go_away += args.connection_seconds
                answer = follow("resume.goAway", call("resume.goAway", session=session, timeLeftMs=60_000))
                if answer and answer.get("action") == "reconnect":
                    stats["reconnects"] += 1
                    # The resumed connection's setup, exact: the session's own, with the handle.
                    setups = answer.get("send", [])
                    check(len(setups) == 1 and contains(setups[0].get("setup"), TRANSCRIPTION[provider])
                          and contains(setups[0]["setup"], (provider_policy or {}).get("setup") or {}),
                          f"{provider} {path.name}: the reconnect's setup {json.dumps(setups)[:200]}")
                    follow("resume.connected", call("resume.connected", session=session, reseeded=False))
                    sim.handle = f"handle-{session}-{next_go_away}"
                    call("resume.update", session=session, handle=sim.handle, resumable=True)
            text, role = event["text"], event["type"]
            if role not in ("user", "model"):
                continue
            items += 1
            key = f"it{index}x{items}"
            ms = audio_ms(text)
            if role == "user":
                exchange += 1
                note = instructions[exchange % len(instructions)]
                follow("instruction.push", call("instruction.push", session=session, text=note))
                follow("client.speechStarted", call("client.speechStarted", session=session))
                if exchange % 5 == 0 and len(text) > 20:
                    half = len(text) // 2
                    sim.spoken(key, role, ms // 2)
                    follow("turn.append (chunk)", call("turn.append", session=session, role="user", text=text[:half],
                                                       final=False, audioMs=ms // 2, providerItemId=key))
                    sim.spoken(key, role, ms)
                    answer_input, input_reseeds = (sim.held, sim.held_audio), stats["reseeds"]
                    follow("turn.append", call("turn.append", session=session, role="user", text=text[half:],
                                               audioMs=ms, providerItemId=key))
                    continue
            if role == "model" and (answer_input is None or input_reseeds != stats["reseeds"]):
                # An answer no question began (the greeting), or one on a connection seeded since the
                # question: it begins with what that connection holds.
                answer_input = (sim.held, sim.held_audio)
            sim.spoken(key, role, ms)
            if role == "user":
                # What the answer's usage counts: its input, what the provider held when it began —
                # server VAD begins it once the audio is committed, before the transcript (and the
                # deletes its eviction sends); not its own output, nor the instruction stripped after.
                answer_input, input_reseeds = (sim.held, sim.held_audio), stats["reseeds"]
            follow(f"turn.append {role}", call("turn.append", session=session, role=role, text=text, audioMs=ms,
                                               providerItemId=key))
            if role == "model":
                follow("model.turnComplete", call("model.turnComplete", session=session))
                # Each report says how much of it was audio, as the providers' reports do.
                total, audio = answer_input
                report = {"usageMetadata": {"promptTokenCount": total, "promptTokensDetails": [
                    {"modality": "TEXT", "tokenCount": total - audio}, {"modality": "AUDIO", "tokenCount": audio}]}} \
                    if provider == "gemini-live" else \
                    {"usage": {"input_tokens": total, "input_token_details": {"text_tokens": total - audio, "audio_tokens": audio}}}
                answer_input = None
                answer = follow("usage.report", call("usage.report", session=session, **report))
                if answer:
                    check(answer["drift"]["driftTokens"] == 0, f"{provider} {path.name}: drift {answer['drift']}")
                    split = answer["drift"].get("audio")
                    check(split is not None and split["reported"] == split["held"] == audio,
                          f"{provider} {path.name}: audio {split} against the simulator's {audio}")
        call("session.close", session=session)
        if index == 0:
            # Without a store an ended session answers its id and status only: checked against the
            # schema like every answer (it did not match SessionRecord's required fields).
            ended = call("session.get", session=session)
            check(ended.get("result", {}).get("status") == "closed", f"session.get of an ended session: {ended}")
    serve.stdin.close()
    serve.wait()
    return messages, stats


# A relay's own settings (`providerPolicy.setup`), one value for every key the engine lets it set:
# merged into every setup the engine hands over, which must then still validate against the SDKs.
RELAY_SETUPS = {
    "gemini-live": {
        "generationConfig": {"speechConfig": {"voiceConfig": {"prebuiltVoiceConfig": {"voiceName": "Kore"}},
                                              "languageCode": "en-US"}, "temperature": 0.7},
        "realtimeInputConfig": {"automaticActivityDetection": {"disabled": False, "silenceDurationMs": 500}},
        "inputAudioTranscription": {}, "outputAudioTranscription": {},
        "proactivity": {"proactiveAudio": True},
        "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_ONLY_HIGH"}],
        "explicitVadSignal": True, "avatarConfig": {"avatarName": "sales"}, "labels": {"team": "sales"},
    },
    "openai-realtime": {
        "audio": {"input": {"format": {"type": "audio/pcm", "rate": 24000}, "noise_reduction": {"type": "near_field"},
                            "transcription": {"model": "gpt-4o-transcribe", "language": "en"},
                            "turn_detection": {"type": "server_vad", "silence_duration_ms": 500}},
                  "output": {"voice": "marin", "speed": 1.0}},
        "include": ["item.input_audio_transcription.logprobs"], "max_output_tokens": 1024,
        "output_modalities": ["audio"], "reasoning": {"effort": "low"}, "tool_choice": "none",
        "parallel_tool_calls": False, "tracing": "auto",
    },
}
# What the engine sets by itself: transcripts of both sides (it counts and re-seeds turns from text).
TRANSCRIPTION = {
    "gemini-live": {"inputAudioTranscription": {}, "outputAudioTranscription": {}},
    "openai-realtime": {"audio": {"input": {"transcription": {"model": "gpt-4o-mini-transcribe"}}}},
}


def contains(whole, part):
    """Whether every key of `part` is in `whole` with the same value (objects compared key by key)."""
    if isinstance(part, dict):
        return isinstance(whole, dict) and all(k in whole and contains(whole[k], v) for k, v in part.items())
    return whole == part


def setup_of(provider, message):
    if provider == "gemini-live":
        return message.get("setup")
    return message.get("session") if message.get("type") == "session.update" else None


def check_relay_setup_keys():
    """The keys the engine lets a relay set are the SDKs' setup keys, and RELAY_SETUPS covers them all;
    what the engine keeps is refused."""
    from google.genai import types as genai_types
    from openai.types.realtime import RealtimeSessionCreateRequest
    sdk = {
        "gemini-live": {info.alias or name for name, info in genai_types.LiveClientSetup.model_fields.items()}
        | {key for key in provider_oracle._SETUP_KEYS_OF_THE_CONVERTER if provider_oracle._converter_writes(key)},
        "openai-realtime": set(RealtimeSessionCreateRequest.model_fields),
    }
    refused = {
        "gemini-live": [{"tools": []}, {"model": "x"}, {"systemInstruction": {"parts": [{"text": "x"}]}},
                        {"generationConfig": {"responseModalities": ["TEXT"]}}, {"historyConfig": {}}, {"voice": "Kore"}],
        "openai-realtime": [{"tools": []}, {"instructions": "x"}, {"prompt": {"id": "p"}}, {"truncation": "auto"},
                            {"model": "x"}, {"voice": "marin"}],
    }
    serve = subprocess.Popen([args.binary, "serve", "--store", "none"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True, bufsize=1)
    for provider, setups in refused.items():
        for index, setup in enumerate(setups):
            request = {"jsonrpc": "2.0", "id": index, "method": "session.open",
                       "params": {"session": f"r{index}", "script": "S.", "provider": provider,
                                  "providerPolicy": {"setup": setup}}}
            serve.stdin.write(json.dumps(request) + "\n")
            serve.stdin.flush()
            answer = json.loads(serve.stdout.readline())
            check_answer("session.open", answer)
            error = answer.get("error", {})
            check(error.get("code") == -32007 and error.get("data", {}).get("key") == "setup",
                  f"{provider}: setup {setup} is refused: {answer}")
            message = error.get("message", "")
            if "allowed: " in message:
                allowed = set(message.split("allowed: ", 1)[1].split(", "))
                check(allowed <= sdk[provider], f"{provider}: settable keys the SDK's setup lacks: {allowed - sdk[provider]}")
                check(allowed == set(RELAY_SETUPS[provider]),
                      f"{provider}: RELAY_SETUPS does not cover the settable keys {allowed ^ set(RELAY_SETUPS[provider])}")
    serve.stdin.close()
    serve.wait()


check_relay_setup_keys()
total_messages = 0
runs = [
    ("gemini-live", None, "default", None),
    ("openai-realtime", None, "default", None),
    ("gemini-live", {"instructionDelivery": "systemInstruction", "setup": RELAY_SETUPS["gemini-live"]},
     "instruction through contextUpdate, the relay's setup", None),
    # Two answered instructions kept: every contextUpdate carries all that the context holds.
    ("gemini-live", {"instructionDelivery": "systemInstruction"}, "kept instructions inside the system instruction",
     {"preset": "keep-last-n", "keepLast": 2}),
    ("openai-realtime", {"sendDeletes": False, "providerTruncation": {"trigger": 28_224, "target": 28_224},
                         "setup": RELAY_SETUPS["openai-realtime"]},
     "no deletes, truncation auto, the relay's setup", None),
]
for provider, provider_policy, label, policy in runs:
    messages, stats = drive(provider, provider_policy, policy)
    invalid = 0
    relay = (provider_policy or {}).get("setup")
    setups = [setup_of(provider, entry["message"]) for entry in messages]
    setups = [setup for setup in setups if setup is not None]
    check(len(setups) >= len(files), f"{provider} ({label}): a setup per connection, got {len(setups)}")
    for setup in setups:
        expected = relay if relay else TRANSCRIPTION[provider]
        check(contains(setup, expected), f"{provider} ({label}): the setup lacks {json.dumps(expected)[:200]}: {json.dumps(setup)[:300]}")
    for entry in messages:
        _, kind, errors = provider_oracle.check(entry)
        check(not errors, f"{provider}: {kind} does not validate: {errors[:2]} in {json.dumps(entry['message'])[:200]}")
        invalid += bool(errors)
    total_messages += len(messages)
    print(f"{provider} ({label}): {len(files)} dialogues, {stats['events']} results, {len(messages)} messages "
          f"({invalid} invalid), {stats['reseeds']} re-seeds, {stats['reconnects']} reconnects, "
          f"peak held {stats['peak']} of {stats['limit']}")


def stored_methods():
    """The methods that read a store, on a real SQLite file, also checked against docs/openrpc.json."""
    import tempfile
    with tempfile.TemporaryDirectory() as folder:
        serve = subprocess.Popen([args.binary, "serve", "--store", f"{folder}/s.db", "--idle-timeout", "1"],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        requests = [
            ("session.open", {"session": "q", "script": script, "business": "b", "user": "u", "provider": "gemini-live"}),
            ("turn.append", {"session": "q", "role": "user", "text": "Hello?", "audioMs": 900}),
            ("turn.append", {"session": "q", "role": "user", "text": "x", "Final": False}),
            ("session.get", {"session": "q"}), ("session.messages", {"session": "q"}),
            ("sessions.active", {"business": "b"}), ("sessions.history", {"user": "u"}), ("sessions.stats", {}),
            ("context.snapshot", {"session": "q"}), ("session.ping", {"session": "q"}), ("session.resume", {"session": "q"}),
            ("resume.update", {"session": "q", "handle": "h"}), ("resume.goAway", {"session": "q", "timeLeftMs": 1000}),
            ("resume.connected", {"session": "q", "reseeded": True}), ("rpc.discover", {}),
            ("session.close", {"session": "q", "status": "resolved"}), ("resume.goAway", {"session": "q"}),
            ("session.open", {"session": "z", "script": script}),
        ]
        for index, (method, params) in enumerate(requests):
            serve.stdin.write(json.dumps({"jsonrpc": "2.0", "id": index, "method": method, "params": params}) + "\n")
        serve.stdin.flush()
        answers = [json.loads(serve.stdout.readline()) for _ in requests]
        for (method, _), answer in zip(requests, answers):
            check_answer(method, answer)
        check(answers[2].get("error", {}).get("code") == -32602, "an unknown parameter (\"Final\") is refused")
        check(answers[14].get("result", {}).get("openrpc") == "1.2.6", "rpc.discover answers the document")
        # The idle timeout abandons "z": its notification is checked too (the engine is killed after
        # 20 s without it, and the check fails instead of hanging).
        import threading
        watchdog = threading.Timer(20, serve.kill)
        watchdog.start()
        line = serve.stdout.readline()
        watchdog.cancel()
        abandoned = json.loads(line) if line.strip() else {}
        check_answer(abandoned.get("method"), abandoned)
        check(abandoned.get("method") == "session.abandoned", f"session.abandoned expected, got {abandoned}")
        serve.stdin.close()
        serve.wait()


stored_methods()
print(f"provider e2e: {total_messages} messages checked against the SDK types, "
      f"{answers_checked[0]} answers and notifications against docs/openrpc.json")
print(f"{checks - len(failures)} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
