"""Exceptions: one class per engine error code (docs/protocol.md, "Errors"), and the client's own.

Every exception this package raises about the engine is a :class:`TokenBudgetError` carrying the
JSON-RPC ``code``, ``message`` and ``data``; catch a subclass to handle one case::

    try:
        engine.turn_append(session="call-7", role="user", text=long_text)
    except OverBudget as error:
        print(error.code, error.data["reason"])   # -32005, what did not fit
"""

from __future__ import annotations

import signal
from typing import Any, Dict, Mapping, Optional, Type


class TokenBudgetError(Exception):
    """An engine error (``code`` is its JSON-RPC code) or a failure of the client (``code`` is None)."""

    code: Optional[int] = None

    def __init__(self, message: str, *, code: Optional[int] = None, data: Any = None,
                 method: Optional[str] = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.data = data
        self.method = method

    def __str__(self) -> str:
        text = self.message if self.code is None else f"[{self.code}] {self.message}"
        if self.method:
            text = f"{self.method}: {text}"
        return text if self.data is None else f"{text} (data: {self.data!r})"


# MARK: - The engine's codes

class ParseError(TokenBudgetError):
    """-32700: a line was not JSON or not UTF-8."""
    code = -32700


class InvalidRequest(TokenBudgetError):
    """-32600: not a request object, or a line over ``--max-line-bytes``."""
    code = -32600


class MethodNotFound(TokenBudgetError):
    """-32601: unknown method; ``data["method"]`` names it."""
    code = -32601


class InvalidParams(TokenBudgetError):
    """-32602: a parameter missing or of the wrong type; ``data["param"]`` names it."""
    code = -32602


class InternalError(TokenBudgetError):
    """-32603: a bug in the engine."""
    code = -32603


class UnknownSession(TokenBudgetError):
    """-32001: no such session."""
    code = -32001


class SessionEnded(TokenBudgetError):
    """-32002: the session is closed, resolved or abandoned; ``data["status"]`` says which."""
    code = -32002


class SessionIdUsed(TokenBudgetError):
    """-32003: ``session.open`` on an id that is open or was used by a conversation that ended."""
    code = -32003


class ScriptTooLarge(TokenBudgetError):
    """-32004: the script alone exceeds window − reserve."""
    code = -32004


class OverBudget(TokenBudgetError):
    """-32005: a turn, instruction or summary does not fit even after evicting; nothing changed."""
    code = -32005


class InstructionTooLong(TokenBudgetError):
    """-32006: an instruction over the policy's ``maxTokens`` with ``overLimit: "reject"``."""
    code = -32006


class InvalidPolicy(TokenBudgetError):
    """-32007: unknown policy key, preset or value (also a bad ``providerPolicy``)."""
    code = -32007


class EncodingUnavailable(TokenBudgetError):
    """-32008: unknown encoding, or its vocabulary is missing or corrupt."""
    code = -32008


class ScriptFileUnreadable(TokenBudgetError):
    """-32009: ``scriptFile`` cannot be read as UTF-8."""
    code = -32009


class InvalidWindow(TokenBudgetError):
    """-32010: invalid window or reserve (reserve must be in 0 ..< window)."""
    code = -32010


class StoreWriteFailed(TokenBudgetError):
    """-32011: the change could not be stored; nothing changed. ``data["reason"]`` is the store's code."""
    code = -32011


class StoreUnavailable(TokenBudgetError):
    """-32012: the method needs a store (``--store none``), or the store failed to answer."""
    code = -32012


class SessionHeldElsewhere(TokenBudgetError):
    """-32013: shared store: another engine holds the session, or took it over from this one."""
    code = -32013


class SessionDamaged(TokenBudgetError):
    """-32014: a stored session cannot be rebuilt as it was recorded."""
    code = -32014


_BY_CODE: Dict[int, Type[TokenBudgetError]] = {
    cls.code: cls
    for cls in (ParseError, InvalidRequest, MethodNotFound, InvalidParams, InternalError, UnknownSession,
                SessionEnded, SessionIdUsed, ScriptTooLarge, OverBudget, InstructionTooLong, InvalidPolicy,
                EncodingUnavailable, ScriptFileUnreadable, InvalidWindow, StoreWriteFailed, StoreUnavailable,
                SessionHeldElsewhere, SessionDamaged)
    if cls.code is not None
}


def error_from_wire(error: Mapping[str, Any], method: Optional[str] = None) -> TokenBudgetError:
    """The exception for a JSON-RPC error object: its code's class, or the base for a code not listed."""
    code = error.get("code")
    message = str(error.get("message", "")) or "(no message)"
    cls = _BY_CODE.get(code, TokenBudgetError) if isinstance(code, int) else TokenBudgetError
    return cls(message, code=code if isinstance(code, int) else None, data=error.get("data"), method=method)


# MARK: - The client's own failures (code None)

class EngineDied(TokenBudgetError):
    """The engine's output ended: every pending and later call fails with this.

    ``returncode`` is the process's exit status (negative: killed by that signal; None when attached
    to streams, or when the process had not exited yet); ``stderr_tail`` its last stderr lines.
    """

    def __init__(self, returncode: Optional[int], stderr_tail: str = "", *, method: Optional[str] = None) -> None:
        if returncode is None:
            status = "closed its output"
        elif returncode < 0:
            try:
                status = f"was killed by {signal.Signals(-returncode).name}"
            except ValueError:
                status = f"was killed by signal {-returncode}"
        else:
            status = f"exited with status {returncode}"
        message = f"tokenbudget serve {status}"
        if stderr_tail.strip():
            message += "; stderr ends with:\n" + stderr_tail.rstrip()
        super().__init__(message, method=method)
        self.returncode = returncode
        self.stderr_tail = stderr_tail


class ClientClosed(TokenBudgetError):
    """A call on a client after :meth:`close`."""


class CallTimeout(TokenBudgetError, TimeoutError):
    """No answer within the call's timeout. The engine may still apply the request; its late answer is dropped."""


class BinaryNotFound(TokenBudgetError):
    """No ``tokenbudget`` executable: pass its path, set ``TOKENBUDGET_BIN``, or put it on ``PATH``."""


class CommandFailed(TokenBudgetError):
    """A ``tokenbudget count|encode|decode`` run exited non-zero; ``stderr`` has its message."""

    def __init__(self, message: str, *, returncode: int, stderr: str) -> None:
        super().__init__(message)
        self.returncode = returncode
        self.stderr = stderr
