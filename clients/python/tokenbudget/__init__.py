"""Python client for tokenbudget, the token-budget engine for voice agents (standard library only).

- :class:`Client` (threads) and :class:`AsyncClient` (asyncio) speak JSON-RPC to ``tokenbudget serve``:
  one method per protocol method (``session_open``, ``turn_append``, …), errors as exceptions.
- :func:`get_encoding` gives an :class:`Encoding` with tiktoken's ``encode``/``decode``, run by the CLI.

See clients/python/README.md and docs/protocol.md.
"""

from .aio import AsyncClient
from .client import Client
from .encoding import Encoding, get_encoding, list_encoding_names
from .engine import find_binary
from .errors import (
    BinaryNotFound,
    CallTimeout,
    ClientClosed,
    CommandFailed,
    EncodingUnavailable,
    EngineDied,
    InstructionTooLong,
    InternalError,
    InvalidParams,
    InvalidPolicy,
    InvalidRequest,
    InvalidWindow,
    MethodNotFound,
    OverBudget,
    ParseError,
    ScriptFileUnreadable,
    ScriptTooLarge,
    SessionDamaged,
    SessionEnded,
    SessionHeldElsewhere,
    SessionIdUsed,
    StoreUnavailable,
    StoreWriteFailed,
    TokenBudgetError,
    UnknownSession,
    error_from_wire,
)
from .wire import Notification

__version__ = "0.1.0"

__all__ = [
    "AsyncClient", "Client", "Encoding", "Notification", "find_binary", "get_encoding", "list_encoding_names",
    "error_from_wire", "TokenBudgetError", "EngineDied", "ClientClosed", "CallTimeout", "BinaryNotFound",
    "CommandFailed", "ParseError", "InvalidRequest", "MethodNotFound", "InvalidParams", "InternalError",
    "UnknownSession", "SessionEnded", "SessionIdUsed", "ScriptTooLarge", "OverBudget", "InstructionTooLong",
    "InvalidPolicy", "EncodingUnavailable", "ScriptFileUnreadable", "InvalidWindow", "StoreWriteFailed",
    "StoreUnavailable", "SessionHeldElsewhere", "SessionDamaged",
]
