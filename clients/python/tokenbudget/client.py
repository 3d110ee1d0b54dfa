"""The thread-safe client: any thread may call, one reader thread matches answers to calls by id.

Example::

    from tokenbudget import Client

    with Client.spawn(args=["--store", "none"]) as engine:
        opened = engine.session_open(session="call-7", script="You sell solar panels.")
        print(opened["usage"]["total"])

A dead engine is reported, never waited on: when its output ends, every pending and later call raises
:class:`~tokenbudget.errors.EngineDied` with the exit status and the end of its stderr.
"""

from __future__ import annotations

import itertools
import logging
import queue
import subprocess
import threading
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import IO, Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

from .engine import PathLike, StderrTail, find_binary
from .errors import CallTimeout, ClientClosed, EngineDied, error_from_wire
from .methods import Params, ProtocolMethods
from .wire import Notification, Response, parse_line, request_line

log = logging.getLogger("tokenbudget")

NotificationHandler = Callable[[Notification], None]
_DEFAULT: Any = object()
_END = object()  # queued after the last notification, when the engine's output has ended


class Client(ProtocolMethods[Dict[str, Any]]):
    """A connection to ``tokenbudget serve``: :meth:`spawn` starts one, :meth:`attach` uses given streams.

    Every protocol method is a method here (``session_open``, ``turn_append``, … see
    :class:`~tokenbudget.methods.ProtocolMethods`) returning the result dict or raising the error's
    :class:`~tokenbudget.errors.TokenBudgetError` subclass. Notifications arrive through
    :meth:`on_notification` callbacks (on the reader thread) and :meth:`next_notification`.
    """

    def __init__(self, reader: IO[bytes], writer: IO[bytes], *, process: Optional["subprocess.Popen[bytes]"] = None,
                 timeout: Optional[float] = None) -> None:
        """Use :meth:`spawn` or :meth:`attach`; ``timeout`` is the default seconds a call waits (None: no limit)."""
        self.process = process
        self.timeout = timeout
        self._reader = reader
        self._writer = writer
        self._ids = itertools.count(1)
        self._lock = threading.Lock()  # _pending, _died, _closed, _handlers
        self._write_lock = threading.Lock()  # one whole line at a time
        self._pending: Dict[int, Tuple[str, "Future[Any]"]] = {}
        self._died: Optional[EngineDied] = None
        self._closed = False
        self._handlers: List[NotificationHandler] = []
        self._notifications: "queue.Queue[Any]" = queue.Queue()
        self._stderr = StderrTail()
        self._stderr_thread: Optional[threading.Thread] = None
        if process is not None and process.stderr is not None:
            self._stderr_thread = threading.Thread(target=self._drain_stderr, args=(process.stderr,),
                                                   name="tokenbudget-stderr", daemon=True)
            self._stderr_thread.start()
        self._reader_thread = threading.Thread(target=self._read_loop, name="tokenbudget-reader", daemon=True)
        self._reader_thread.start()

    @classmethod
    def spawn(cls, binary: Optional[PathLike] = None, *, args: Sequence[str] = (),
              env: Optional[Dict[str, str]] = None, cwd: Optional[PathLike] = None,
              timeout: Optional[float] = None) -> "Client":
        """Starts ``tokenbudget serve ARGS…`` (``args`` e.g. ``["--store", "none"]``) on pipes.

        ``binary``: its path; default ``$TOKENBUDGET_BIN``, then ``tokenbudget`` on ``PATH``.
        """
        path = find_binary(binary)
        process = subprocess.Popen([path, "serve", *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, env=env, cwd=cwd)
        assert process.stdout is not None and process.stdin is not None
        return cls(process.stdout, process.stdin, process=process, timeout=timeout)

    @classmethod
    def attach(cls, reader: IO[bytes], writer: IO[bytes], *, timeout: Optional[float] = None) -> "Client":
        """Talks to an engine already running: ``reader`` is its output, ``writer`` its input (binary).

        :meth:`close` closes ``writer``; the end of ``reader`` counts as the engine's death.
        """
        return cls(reader, writer, timeout=timeout)

    # MARK: - Calls

    def request(self, method: str, params: Optional[Params] = None, *,
                timeout: Optional[float] = _DEFAULT) -> Dict[str, Any]:
        """Sends one request and waits for its answer (``timeout`` seconds; default the client's).

        Raises:
            TokenBudgetError: the engine's error, as the subclass of its code.
            EngineDied: the engine's output ended before the answer.
            CallTimeout: no answer in time (the engine may still apply the request).
            ClientClosed: the client was closed.
        """
        if threading.current_thread() is self._reader_thread:
            raise RuntimeError("a notification handler runs on the reader thread and cannot wait for an answer; "
                               "hand the work to another thread")
        id = next(self._ids)
        line = request_line(id, method, params or {})
        answer: "Future[Any]" = Future()
        with self._write_lock:
            with self._lock:
                if self._closed:
                    raise ClientClosed(f"{method}: the client is closed")
                if self._died is not None:
                    raise EngineDied(self._died.returncode, self._died.stderr_tail, method=method)
                self._pending[id] = (method, answer)
            try:
                self._writer.write(line)
                self._writer.flush()
            except (OSError, ValueError):
                pass  # the engine is gone: the reader sees its output end and fails `answer`
        wait = self.timeout if timeout is _DEFAULT else timeout
        try:
            return answer.result(wait)  # type: ignore[no-any-return]
        except FutureTimeout:
            with self._lock:
                self._pending.pop(id, None)
            raise CallTimeout(f"no answer within {wait} s", method=method) from None

    def notify(self, method: str, /, **params: Any) -> None:
        """Sends a JSON-RPC notification (no id): the engine applies it and never answers, errors included."""
        line = request_line(None, method, params)
        with self._write_lock:
            with self._lock:
                if self._closed:
                    raise ClientClosed(f"{method}: the client is closed")
                died = self._died
            if died is None:
                try:
                    self._writer.write(line)
                    self._writer.flush()
                    return
                except (OSError, ValueError):
                    self._reader_thread.join(5)
                    died = self._died
        raise EngineDied(died.returncode if died else None, died.stderr_tail if died else self._stderr.text(),
                         method=method)

    # MARK: - Notifications

    def on_notification(self, handler: NotificationHandler) -> NotificationHandler:
        """Calls ``handler(notification)`` for each notification, on the reader thread (usable as a decorator).

        The handler must not call the client: it would wait for an answer only the reader thread can read.
        """
        with self._lock:
            self._handlers.append(handler)
        return handler

    def next_notification(self, timeout: Optional[float] = None) -> Notification:
        """The next notification, waiting up to ``timeout`` seconds (None: until one arrives or the engine ends).

        Raises:
            TimeoutError: none arrived in time.
            EngineDied: the engine's output ended and every notification before that was taken.
        """
        try:
            item = self._notifications.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"no notification within {timeout} s") from None
        if item is _END:
            self._notifications.put(_END)
            assert self._died is not None
            raise EngineDied(self._died.returncode, self._died.stderr_tail)
        return item  # type: ignore[no-any-return]

    def notifications(self, timeout: Optional[float] = None) -> Iterator[Notification]:
        """Iterates over notifications until the engine's output ends (``timeout``: as in :meth:`next_notification`)."""
        while True:
            try:
                yield self.next_notification(timeout)
            except EngineDied:
                return

    # MARK: - Shutdown

    def close(self, timeout: float = 10.0) -> Optional[int]:
        """Closes the engine's input and waits for it to exit: it answers every request it accepted first.

        Past ``timeout`` seconds the engine gets SIGTERM, then SIGKILL. Returns the exit status (None when
        attached). Calls made after this raise :class:`~tokenbudget.errors.ClientClosed`.
        """
        with self._lock:
            self._closed = True
        # A write blocked on an engine that stopped reading holds the lock: then only signals help.
        if self._write_lock.acquire(timeout=timeout):
            try:
                self._writer.close()
            except OSError:
                pass
            finally:
                self._write_lock.release()
        if self.process is not None:
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.terminate()
                try:
                    self.process.wait(timeout)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
        self._reader_thread.join(timeout)
        return self.returncode

    def terminate(self) -> None:
        """Sends SIGTERM: the engine answers the complete lines it has read, then exits 0."""
        if self.process is not None:
            self.process.terminate()

    @property
    def returncode(self) -> Optional[int]:
        """The engine's exit status once it has exited (None while it runs, or when attached)."""
        return None if self.process is None else self.process.poll()

    @property
    def stderr_tail(self) -> str:
        """The end of what the engine wrote to stderr so far."""
        return self._stderr.text()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # MARK: - Reader thread

    def _read_loop(self) -> None:
        try:
            for line in self._reader:
                self._dispatch(line)
        except (OSError, ValueError) as error:  # ValueError: the stream was closed under us
            log.debug("tokenbudget: reading the engine's output failed: %s", error)
        finally:
            self._engine_ended()

    def _dispatch(self, line: bytes) -> None:
        try:
            message = parse_line(line)
        except ValueError as error:
            log.warning("tokenbudget: not a JSON-RPC message from the engine (%s): %r", error, line[:200])
            return
        if isinstance(message, Response):
            with self._lock:
                entry = self._pending.pop(message.id, None) if isinstance(message.id, int) else None
            if entry is None:
                log.warning("tokenbudget: an answer no call waits for (timed out, or not ours): %r", line[:200])
                return
            method, answer = entry
            if message.error is not None:
                answer.set_exception(error_from_wire(message.error, method))
            else:
                answer.set_result(message.result)
        elif isinstance(message, Notification):
            self._notifications.put(message)
            with self._lock:
                handlers = list(self._handlers)
            for handler in handlers:
                try:
                    handler(message)
                except Exception:
                    log.exception("tokenbudget: notification handler %r failed", handler)

    def _drain_stderr(self, stream: IO[bytes]) -> None:
        read = getattr(stream, "read1", stream.read)
        try:
            while True:
                chunk = read(65536)
                if not chunk:
                    return
                self._stderr.append(chunk)
        except (OSError, ValueError):
            return

    def _engine_ended(self) -> None:
        returncode: Optional[int] = None
        if self.process is not None:
            try:
                # Output ends as the process exits; a process that closed stdout but lives on is reported as such.
                returncode = self.process.wait(2)
            except subprocess.TimeoutExpired:
                returncode = None
            if self._stderr_thread is not None:
                self._stderr_thread.join(1)
        died = EngineDied(returncode, self._stderr.text())
        with self._lock:
            self._died = died
            pending, self._pending = self._pending, {}
        for method, answer in pending.values():
            answer.set_exception(EngineDied(returncode, died.stderr_tail, method=method))
        self._notifications.put(_END)

