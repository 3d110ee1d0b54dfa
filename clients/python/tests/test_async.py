"""The asyncio client against the real engine (each test runs its own loop: no pytest plugin needed)."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from typing import Any, List

import pytest

from tokenbudget import (
    AsyncClient,
    CallTimeout,
    ClientClosed,
    EngineDied,
    InvalidParams,
    Notification,
    OverBudget,
    SessionEnded,
    UnknownSession,
)

from conftest import cli_count


def test_methods_and_tokens_match_the_cli(binary: str, serve_args: List[str]) -> None:
    text = "Can you call me back tomorrow at nine?"

    async def main() -> None:
        async with await AsyncClient.spawn(binary, args=serve_args, timeout=60) as engine:
            opened = await engine.session_open(session="a-1", script="You sell solar panels.", reserve=100)
            assert opened["usage"]["reserve"] == 100
            appended = await engine.turn_append(session="a-1", role="user", text=text, metadata={"lang": "en"})
            assert appended["delta"]["added"][0]["tokens"] == cli_count(binary, text)
            snapshot = await engine.context_snapshot(session="a-1")
            assert snapshot["hash"] == appended["hash"]
            messages = await engine.session_messages(session="a-1")
            assert messages["messages"][0]["metadata"]["value"] == {"lang": "en"}
            assert (await engine.session_close(session="a-1"))["status"] == "closed"
        assert engine.returncode == 0

    asyncio.run(main())


def test_errors_raise_their_classes(binary: str, serve_args: List[str]) -> None:
    async def main() -> None:
        async with await AsyncClient.spawn(binary, args=serve_args, timeout=60) as engine:
            with pytest.raises(UnknownSession) as unknown:
                await engine.session_ping(session="nobody")
            assert unknown.value.code == -32001 and unknown.value.data == {"session": "nobody"}
            await engine.session_open(session="small", script="Be brief.", window=40)
            with pytest.raises(OverBudget) as over:
                await engine.summary_set(session="small", text="word " * 200)
            assert over.value.code == -32005
            with pytest.raises(InvalidParams) as invalid:
                await engine.call("session.messages", session="small", limit="ten")
            assert invalid.value.data == {"param": "limit"}
        with pytest.raises(ClientClosed):
            await engine.sessions_stats()

    asyncio.run(main())


def test_many_concurrent_tasks_each_get_their_own_answer(binary: str, serve_args: List[str]) -> None:
    texts = ["Hello there.", "What does it cost per month?", "Tschüss, bis morgen! 👋", "ok"]
    tokens = {text: cli_count(binary, text) for text in texts}

    async def talk(engine: AsyncClient, n: int) -> None:
        session = f"t-{n}"
        await engine.session_open(session=session, script="Answer briefly.", window=100000)
        for i in range(40):
            text = texts[(n + i) % len(texts)]
            result = await engine.turn_append(session=session, role="user" if i % 2 == 0 else "model", text=text)
            (added,) = result["delta"]["added"]
            assert result["session"] == session and result["version"] == i + 1
            assert (added["text"], added["tokens"]) == (text, tokens[text])

    async def main() -> None:
        async with await AsyncClient.spawn(binary, args=serve_args, timeout=60) as engine:
            await asyncio.gather(*(talk(engine, n) for n in range(10)))
            # Unordered concurrent reads: every answer goes to its own caller.
            snapshots = await asyncio.gather(*(engine.context_snapshot(session=f"t-{n}") for n in range(10)))
            assert [s["session"] for s in snapshots] == [f"t-{n}" for n in range(10)]

    asyncio.run(main())


def test_abandoned_session_is_notified(binary: str, serve_args: List[str]) -> None:
    async def main() -> None:
        seen: List[Notification] = []
        async with await AsyncClient.spawn(binary, args=[*serve_args, "--idle-timeout", "1"], timeout=30) as engine:
            engine.on_notification(seen.append)
            await engine.session_open(session="idle", script="Wait.")
            notification = await engine.next_notification(timeout=15)
            assert notification == Notification("session.abandoned", notification.params)
            assert notification.params["session"] == "idle"
            assert seen == [notification]
            with pytest.raises(SessionEnded):
                await engine.session_ping(session="idle")
        # After the engine ended, the iterator ends too.
        assert [n async for n in engine.notifications(timeout=5)] == []

    asyncio.run(main())


def test_a_killed_engine_fails_pending_calls_quickly(binary: str, serve_args: List[str]) -> None:
    async def main() -> None:
        engine = await AsyncClient.spawn(binary, args=serve_args)
        await engine.session_open(session="k-1", script="Hi.")
        assert engine.process is not None
        os.kill(engine.process.pid, signal.SIGSTOP)
        pending = asyncio.ensure_future(engine.session_ping(session="k-1"))
        await asyncio.sleep(0.3)
        assert not pending.done()
        started = time.monotonic()
        engine.process.kill()
        with pytest.raises(EngineDied) as died:
            await asyncio.wait_for(pending, 10)
        assert time.monotonic() - started < 5
        assert died.value.returncode == -signal.SIGKILL and died.value.method == "session.ping"
        with pytest.raises(EngineDied):
            await engine.sessions_stats()
        with pytest.raises(EngineDied):
            await engine.notify("session.ping", session="k-1")
        assert await engine.close() == -signal.SIGKILL

    asyncio.run(main())


def test_a_call_times_out(binary: str, serve_args: List[str]) -> None:
    async def main() -> None:
        async with await AsyncClient.spawn(binary, args=serve_args) as engine:
            await engine.session_open(session="slow", script="Hi.")
            assert engine.process is not None
            os.kill(engine.process.pid, signal.SIGSTOP)
            try:
                with pytest.raises(CallTimeout):
                    await engine.request("session.ping", {"session": "slow"}, timeout=0.3)
            finally:
                os.kill(engine.process.pid, signal.SIGCONT)
            assert (await engine.session_ping(session="slow"))["session"] == "slow"

    asyncio.run(main())


def test_large_answers_pass_whole(binary: str, serve_args: List[str]) -> None:
    script = "word " * 30000  # about 150 KB on one line: past StreamReader's 64 KiB line limit

    async def main() -> None:
        async with await AsyncClient.spawn(binary, args=serve_args, timeout=60) as engine:
            opened = await engine.session_open(session="big", script=script, window=64000)
            assert opened["snapshot"]["items"][0]["text"] == script

    asyncio.run(main())


def test_attach_to_streams(binary: str, serve_args: List[str]) -> None:
    async def main() -> Any:
        process = await asyncio.create_subprocess_exec(binary, "serve", *serve_args, stdin=asyncio.subprocess.PIPE,
                                                       stdout=asyncio.subprocess.PIPE)
        assert process.stdin is not None and process.stdout is not None
        engine = AsyncClient.attach(process.stdout, process.stdin, timeout=30)
        assert (await engine.session_open(session="a-1", script="Hi."))["status"] == "active"
        assert await engine.close() is None
        return await asyncio.wait_for(process.wait(), 10)

    assert asyncio.run(main()) == 0
