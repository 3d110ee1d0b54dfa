"""The asyncio client: the same methods as :class:`~tokenbudget.Client`, each a coroutine.

Example::

    from tokenbudget import AsyncClient

    async def main() -> None:
        async with await AsyncClient.spawn(args=["--store", "none"]) as engine:
            opened = await engine.session_open(session="call-7", script="You sell solar panels.")
            print(opened["usage"]["total"])

Any number of tasks may call at once; one reader task matches answers to calls by id. When the
engine's output ends, every pending and later call raises :class:`~tokenbudget.errors.EngineDied`.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from asyncio.subprocess import PIPE, Process
from typing import Any, AsyncIterator, Awaitable, Callable, Dict, List, Optional, Sequence, Tuple

from .engine import PathLike, StderrTail, find_binary
from .errors import CallTimeout, ClientClosed, EngineDied, error_from_wire
from .methods import Params, ProtocolMethods
from .wire import Notification, Response, parse_line, request_line

log = logging.getLogger("tokenbudget")

NotificationHandler = Callable[[Notification], None]
_DEFAULT: Any = object()
_END = object()  # queued after the last notification, when the engine's output has ended


class AsyncClient(ProtocolMethods[Awaitable[Dict[str, Any]]]):
    """A connection to ``tokenbudget serve`` in an asyncio loop: :meth:`spawn` or :meth:`attach` (in the loop)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *,
                 process: Optional[Process] = None, timeout: Optional[float] = None) -> None:
        """Use :meth:`spawn` or :meth:`attach`; ``timeout`` is the default seconds a call waits (None: no limit)."""
        self.process = process
        self.timeout = timeout
        self._reader = reader
        self._writer = writer
        self._ids = itertools.count(1)
        self._pending: Dict[int, Tuple[str, "asyncio.Future[Any]"]] = {}
        self._died: Optional[EngineDied] = None
        self._closed = False
        self._handlers: List[NotificationHandler] = []
        self._notifications: "asyncio.Queue[Any]" = asyncio.Queue()
        # Python before 3.10 fails concurrent drain() calls (bpo-29930): one drain at a time.
        self._drain_lock = asyncio.Lock()
        self._stderr = StderrTail()
        self._stderr_task: Optional["asyncio.Task[None]"] = None
        if process is not None and process.stderr is not None:
            self._stderr_task = asyncio.ensure_future(self._drain_stderr(process.stderr))
        self._reader_task = asyncio.ensure_future(self._read_loop())

    @classmethod
    async def spawn(cls, binary: Optional[PathLike] = None, *, args: Sequence[str] = (),
                    env: Optional[Dict[str, str]] = None, cwd: Optional[PathLike] = None,
                    timeout: Optional[float] = None) -> "AsyncClient":
        """Starts ``tokenbudget serve ARGS…`` on pipes (``binary``: as :func:`~tokenbudget.engine.find_binary`)."""
        path = find_binary(binary)
        process = await asyncio.create_subprocess_exec(path, "serve", *args, stdin=PIPE, stdout=PIPE, stderr=PIPE,
                                                       env=env, cwd=cwd)
        assert process.stdout is not None and process.stdin is not None
        return cls(process.stdout, process.stdin, process=process, timeout=timeout)

    @classmethod
    def attach(cls, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *,
               timeout: Optional[float] = None) -> "AsyncClient":
        """Talks to an engine already running over asyncio streams (call it inside the running loop)."""
        return cls(reader, writer, timeout=timeout)

    # MARK: - Calls

    async def request(self, method: str, params: Optional[Params] = None, *,
                      timeout: Optional[float] = _DEFAULT) -> Dict[str, Any]:
        """Sends one request and awaits its answer; raises as :meth:`tokenbudget.Client.request` does."""
        if self._closed:
            raise ClientClosed(f"{method}: the client is closed")
        if self._died is not None:
            raise EngineDied(self._died.returncode, self._died.stderr_tail, method=method)
        id = next(self._ids)
        line = request_line(id, method, params or {})
        answer: "asyncio.Future[Any]" = asyncio.get_running_loop().create_future()
        self._pending[id] = (method, answer)
        try:
            await self._write(line)
            wait = self.timeout if timeout is _DEFAULT else timeout
            try:
                return await asyncio.wait_for(answer, wait)
            except asyncio.TimeoutError:
                raise CallTimeout(f"no answer within {wait} s", method=method) from None
        finally:
            self._pending.pop(id, None)

    async def notify(self, method: str, /, **params: Any) -> None:
        """Sends a JSON-RPC notification (no id): the engine applies it and never answers, errors included."""
        if self._closed:
            raise ClientClosed(f"{method}: the client is closed")
        if self._died is not None:
            raise EngineDied(self._died.returncode, self._died.stderr_tail, method=method)
        await self._write(request_line(None, method, params))

    async def _write(self, line: bytes) -> None:
        try:
            self._writer.write(line)
            async with self._drain_lock:
                await self._writer.drain()
        except (ConnectionError, OSError, RuntimeError):
            pass  # the engine is gone: the reader task sees its output end and fails the pending calls

    # MARK: - Notifications

    def on_notification(self, handler: NotificationHandler) -> NotificationHandler:
        """Calls ``handler(notification)`` in the loop for each notification (usable as a decorator)."""
        self._handlers.append(handler)
        return handler

    async def next_notification(self, timeout: Optional[float] = None) -> Notification:
        """The next notification, waiting up to ``timeout`` seconds (None: until one arrives or the engine ends).

        Raises:
            TimeoutError: none arrived in time.
            EngineDied: the engine's output ended and every notification before that was taken.
        """
        try:
            item = await asyncio.wait_for(self._notifications.get(), timeout)
        except asyncio.TimeoutError:
            raise TimeoutError(f"no notification within {timeout} s") from None
        if item is _END:
            self._notifications.put_nowait(_END)
            assert self._died is not None
            raise EngineDied(self._died.returncode, self._died.stderr_tail)
        return item  # type: ignore[no-any-return]

    async def notifications(self, timeout: Optional[float] = None) -> AsyncIterator[Notification]:
        """``async for`` over notifications until the engine's output ends."""
        while True:
            try:
                yield await self.next_notification(timeout)
            except EngineDied:
                return

    # MARK: - Shutdown

    async def close(self, timeout: float = 10.0) -> Optional[int]:
        """Closes the engine's input and waits for it to exit (it answers what it accepted); SIGTERM, then
        SIGKILL, past ``timeout`` seconds. Returns the exit status (None when attached)."""
        self._closed = True
        self._writer.close()
        try:
            await asyncio.wait_for(self._writer.wait_closed(), timeout)
        except (ConnectionError, OSError, asyncio.TimeoutError):
            pass
        if self.process is not None:
            try:
                await asyncio.wait_for(self.process.wait(), timeout)
            except asyncio.TimeoutError:
                self.process.terminate()
                try:
                    await asyncio.wait_for(self.process.wait(), timeout)
                except asyncio.TimeoutError:
                    self.process.kill()
                    await self.process.wait()
        try:
            await asyncio.wait_for(asyncio.shield(self._reader_task), timeout)
        except asyncio.TimeoutError:
            pass
        return self.returncode

    def terminate(self) -> None:
        """Sends SIGTERM: the engine answers the complete lines it has read, then exits 0."""
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()

    @property
    def returncode(self) -> Optional[int]:
        """The engine's exit status once it has exited (None while it runs, or when attached)."""
        return None if self.process is None else self.process.returncode

    @property
    def stderr_tail(self) -> str:
        """The end of what the engine wrote to stderr so far."""
        return self._stderr.text()

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # MARK: - Reader task

    async def _read_loop(self) -> None:
        # Lines are split here, not with readline(): an answer (a snapshot) may pass StreamReader's 64 KiB limit.
        buffer = bytearray()
        try:
            while True:
                chunk = await self._reader.read(1 << 16)
                if not chunk:
                    break
                buffer += chunk
                start = 0
                while True:
                    newline = buffer.find(b"\n", start)
                    if newline < 0:
                        break
                    self._dispatch(bytes(buffer[start:newline]))
                    start = newline + 1
                del buffer[:start]
            if buffer:
                self._dispatch(bytes(buffer))
        except (ConnectionError, OSError) as error:
            log.debug("tokenbudget: reading the engine's output failed: %s", error)
        finally:
            await self._engine_ended()

    def _dispatch(self, line: bytes) -> None:
        try:
            message = parse_line(line)
        except ValueError as error:
            log.warning("tokenbudget: not a JSON-RPC message from the engine (%s): %r", error, line[:200])
            return
        if isinstance(message, Response):
            entry = self._pending.pop(message.id, None) if isinstance(message.id, int) else None
            if entry is None:
                log.warning("tokenbudget: an answer no call waits for (timed out, or not ours): %r", line[:200])
                return
            method, answer = entry
            if answer.done():  # the caller was cancelled
                return
            if message.error is not None:
                answer.set_exception(error_from_wire(message.error, method))
            else:
                answer.set_result(message.result)
        elif isinstance(message, Notification):
            self._notifications.put_nowait(message)
            for handler in list(self._handlers):
                try:
                    handler(message)
                except Exception:
                    log.exception("tokenbudget: notification handler %r failed", handler)

    async def _drain_stderr(self, stream: asyncio.StreamReader) -> None:
        while True:
            chunk = await stream.read(65536)
            if not chunk:
                return
            self._stderr.append(chunk)

    async def _engine_ended(self) -> None:
        returncode: Optional[int] = None
        if self.process is not None:
            try:
                returncode = await asyncio.wait_for(self.process.wait(), 2)
            except asyncio.TimeoutError:
                returncode = None
            if self._stderr_task is not None:
                try:
                    await asyncio.wait_for(asyncio.shield(self._stderr_task), 1)
                except asyncio.TimeoutError:
                    pass
        self._died = EngineDied(returncode, self._stderr.text())
        pending, self._pending = self._pending, {}
        for method, answer in pending.values():
            if not answer.done():
                answer.set_exception(EngineDied(returncode, self._died.stderr_tail, method=method))
        self._notifications.put_nowait(_END)
