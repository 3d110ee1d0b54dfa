"""JSON-RPC 2.0 framing: one JSON object per line each way (docs/protocol.md)."""

from __future__ import annotations

import json
from typing import Any, Dict, Mapping, NamedTuple, Optional, Union


class Notification(NamedTuple):
    """A message the engine sent without an id: ``session.abandoned``, ``session.lost``, ``provider.drift``."""

    method: str
    params: Dict[str, Any]


class Response(NamedTuple):
    """The answer to one request: ``error`` is the JSON-RPC error object, or None on success."""

    id: Any
    result: Any
    error: Optional[Dict[str, Any]]


def request_line(id: Optional[int], method: str, params: Mapping[str, Any]) -> bytes:
    """The bytes of one request (``id`` None: a notification, which the engine applies and never answers).

    Raises:
        TypeError, ValueError: ``params`` is not JSON (e.g. a set, NaN), or has lone surrogates.
    """
    message: Dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": dict(params)}
    if id is not None:
        message["id"] = id
    text = json.dumps(message, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text.encode("utf-8") + b"\n"


def parse_line(line: bytes) -> Union[Response, Notification, None]:
    """A line from the engine as a response or a notification; None for a blank line.

    Raises:
        ValueError: the line is not a JSON-RPC object (never from a sound engine).
    """
    if not line.strip():
        return None
    message = json.loads(line)
    if not isinstance(message, dict):
        raise ValueError(f"expected a JSON object, got {type(message).__name__}")
    if "id" in message:
        return Response(message["id"], message.get("result"), message.get("error"))
    if isinstance(message.get("method"), str):
        params = message.get("params")
        return Notification(message["method"], params if isinstance(params, dict) else {})
    raise ValueError("a message with neither id nor method")
