"""The engine process: where the ``tokenbudget`` binary is, and the tail of what it wrote to stderr."""

from __future__ import annotations

import os
import shutil
import threading
from collections import deque
from typing import Deque, Optional, Union

from .errors import BinaryNotFound

PathLike = Union[str, "os.PathLike[str]"]


def find_binary(binary: Optional[PathLike] = None) -> str:
    """The path of the ``tokenbudget`` executable.

    In order: ``binary`` when given, ``$TOKENBUDGET_BIN``, then ``tokenbudget`` on ``PATH``.

    Raises:
        BinaryNotFound: the chosen path is not an executable file, or nothing was found.
    """
    if binary is not None:
        candidate, source = os.fspath(binary), "the binary argument"
    elif os.environ.get("TOKENBUDGET_BIN"):
        candidate, source = os.environ["TOKENBUDGET_BIN"], "TOKENBUDGET_BIN"
    else:
        found = shutil.which("tokenbudget")
        if found is None:
            raise BinaryNotFound("no tokenbudget binary: pass its path, set TOKENBUDGET_BIN, or put it on PATH "
                                 "(build it with `swift build -c release --product tokenbudget`)")
        return found
    if not (os.path.isfile(candidate) and os.access(candidate, os.X_OK)):
        raise BinaryNotFound(f"{source} names {candidate!r}, which is not an executable file")
    return candidate


class StderrTail:
    """The last ``limit`` bytes of a stream, in whole lines where possible; thread-safe.

    The engine's stderr must be drained while it runs (a full pipe would block it); only its end is
    kept, for :class:`~tokenbudget.errors.EngineDied` messages.
    """

    def __init__(self, limit: int = 4096) -> None:
        self._chunks: Deque[bytes] = deque()
        self._size = 0
        self._limit = limit
        self._lock = threading.Lock()

    def append(self, chunk: bytes) -> None:
        with self._lock:
            self._chunks.append(chunk)
            self._size += len(chunk)
            while self._size - len(self._chunks[0]) >= self._limit:
                self._size -= len(self._chunks.popleft())

    def text(self) -> str:
        with self._lock:
            data = b"".join(self._chunks)
        if len(data) > self._limit:
            data = data[-self._limit:]
            newline = data.find(b"\n")
            if 0 <= newline < len(data) - 1:
                data = data[newline + 1:]
        return data.decode("utf-8", errors="replace")
