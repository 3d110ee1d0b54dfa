"""The thread-safe client against the real engine: methods, errors, notifications, death, shutdown."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from typing import Any, Dict, List

import pytest

import tokenbudget
from tokenbudget import (
    BinaryNotFound,
    CallTimeout,
    Client,
    ClientClosed,
    EngineDied,
    InvalidParams,
    MethodNotFound,
    Notification,
    OverBudget,
    SessionEnded,
    SessionIdUsed,
    TokenBudgetError,
    UnknownSession,
)

from conftest import cli_count

GEMINI = "gemini-2.5-flash-native-audio-preview-12-2025"


def test_turn_tokens_and_hash_match_the_cli_and_the_snapshot(engine: Client, binary: str) -> None:
    opened = engine.session_open(session="s-1", script="You sell solar panels.", business="acme", user="u-1")
    assert opened["session"] == "s-1" and opened["status"] == "active"
    assert opened["usage"]["script"] == cli_count(binary, "You sell solar panels.")
    text = "How much does a 6 kW installation cost, including the inverter?"
    appended = engine.turn_append(session="s-1", role="user", text=text)
    (added,) = appended["delta"]["added"]
    assert added["text"] == text and added["tokens"] == cli_count(binary, text)
    assert appended["usage"]["history"] == added["tokens"]
    snapshot = engine.context_snapshot(session="s-1")
    assert snapshot["hash"] == appended["hash"]


def test_every_method_reaches_the_engine_under_its_wire_name(engine: Client) -> None:
    s = "g-1"
    opened = engine.session_open(session=s, script="You sell solar panels.", provider="gemini-live", model=GEMINI,
                                 provider_policy={"driftNotifyPercent": 50}, business="acme", location="rome",
                                 user="u-42", metadata={"channel": "phone"})
    assert opened["provider"]["name"] == "gemini-live" and opened["encoding"] == "gemma3"
    assert "setup" in opened["send"][0]
    assert engine.resume_update(session=s, handle="h-1", resumable=True) == {"session": s, "handle": "h-1",
                                                                             "resumable": True}
    held = opened["provider"]["held"]
    spoken = engine.turn_append(session=s, role="user", text="How much is it?", audio_ms=2000)
    assert spoken["provider"]["held"] == held + 64  # 2 s at 32 tokens per second: audio_ms became audioMs
    assert engine.instruction_push(session=s, text="Mention the discount.")["pendingInstruction"]
    started = engine.client_speech_started(session=s)
    assert started["delta"]["added"][0]["kind"] == "instruction" and started["send"]
    engine.turn_append(session=s, role="model", text="About nine thousand euros.", final=False, audio_ms=1000)
    assert engine.turn_append(session=s, role="model", text=" Ten percent off.", audio_ms=2500)["delta"]["updated"]
    completed = engine.model_turn_complete(session=s)
    assert completed["notes"][0]["note"] == "instructionStripped"
    assert engine.summary_set(session=s, text="Earlier: greetings.")["usage"]["summary"] > 0
    assert engine.summary_set(session=s, text=None)["usage"]["summary"] == 0
    openai = engine.context_snapshot(session=s, renderer="openai")
    assert openai["renderer"] == "openai" and "items" in openai["snapshot"]
    report = engine.usage_report(session=s, usage_metadata={"promptTokenCount": 400})
    assert report["drift"]["reported"] == 400
    assert engine.usage_report(session=s, input_tokens=401)["drift"]["reported"] == 401
    assert engine.usage_report(session=s, input_tokens=402, audio_tokens=100)["drift"]["audio"]["reported"] == 100
    away = engine.resume_go_away(session=s, time_left_ms=50000)
    assert away["action"] in ("reconnect", "reseed") and away["timeLeftMs"] == 50000
    assert "attempts" in engine.resume_connected(session=s, reseeded=away["action"] == "reseed")
    assert engine.session_ping(session=s)["status"] == "active"
    record = engine.session_get(session=s)
    assert (record["businessId"], record["locationId"], record["userId"]) == ("acme", "rome", "u-42")
    assert record["metadata"] == {"channel": "phone"}
    messages = engine.session_messages(session=s, limit=1)["messages"]
    assert len(messages) == 1 and messages[0]["content"] == "How much is it?"
    assert engine.sessions_active(business="acme", user="u-42")["session"]["id"] == s
    assert [entry["id"] for entry in engine.sessions_history(business="acme", user="u-42", limit=5)["sessions"]] == [s]
    assert engine.sessions_stats()["byStatus"]["active"]["count"] == 1
    assert engine.session_close(session=s, status="resolved")["status"] == "resolved"
    assert engine.sessions_active(business="acme", user="u-42")["session"] is None
    with pytest.raises(SessionEnded) as ended:
        engine.session_resume(session=s)
    assert ended.value.data["status"] == "resolved"


def test_engine_errors_raise_their_classes_with_code_message_and_data(engine: Client) -> None:
    with pytest.raises(UnknownSession) as unknown:
        engine.turn_append(session="nobody", role="user", text="hi")
    assert unknown.value.code == -32001 and unknown.value.data == {"session": "nobody"}
    assert unknown.value.method == "turn.append" and "nobody" in unknown.value.message
    engine.session_open(session="small", script="Be brief.", window=40)
    with pytest.raises(OverBudget) as over:
        engine.turn_append(session="small", role="user", text="word " * 200)
    assert over.value.code == -32005 and over.value.data["session"] == "small"
    with pytest.raises(SessionIdUsed) as used:
        engine.session_open(session="small", script="Be brief.")
    assert used.value.code == -32003 and used.value.data["status"] == "active"
    with pytest.raises(InvalidParams) as invalid:
        engine.call("turn.append", session="small", role="user", text=5)
    assert invalid.value.code == -32602 and invalid.value.data == {"param": "text"}
    with pytest.raises(MethodNotFound) as missing:
        engine.call("no.such")
    assert missing.value.data == {"method": "no.such"}
    engine.session_close(session="small")
    with pytest.raises(SessionEnded) as closed:
        engine.session_ping(session="small")
    assert closed.value.code == -32002 and isinstance(closed.value, TokenBudgetError)
    # The stream goes on after errors.
    assert engine.call("sessions.stats")["byStatus"]["closed"]["count"] == 1


def test_abandoned_session_is_notified_to_the_handler_and_the_queue(binary: str, serve_args: List[str]) -> None:
    seen: List[Notification] = []
    arrived = threading.Event()
    with Client.spawn(binary, args=[*serve_args, "--idle-timeout", "1"], timeout=30) as engine:
        @engine.on_notification
        def record(notification: Notification) -> None:
            seen.append(notification)
            arrived.set()

        engine.session_open(session="idle", script="Wait.")
        notification = engine.next_notification(timeout=15)
        assert notification.method == "session.abandoned"
        assert notification.params["session"] == "idle" and notification.params["idleSeconds"] >= 1
        assert arrived.wait(5) and seen == [notification]
        with pytest.raises(SessionEnded):
            engine.turn_append(session="idle", role="user", text="Still there?")


def test_provider_drift_notification_follows_the_usage_report(engine: Client) -> None:
    engine.session_open(session="d-1", script="You sell solar panels.", provider="gemini-live", model=GEMINI)
    report = engine.usage_report(session="d-1", usage_metadata={"promptTokenCount": 5000})
    notification = engine.next_notification(timeout=10)
    assert notification.method == "provider.drift"
    assert notification.params["session"] == "d-1"
    assert notification.params["driftTokens"] == report["drift"]["driftTokens"] > 0
    with pytest.raises(TimeoutError):
        engine.next_notification(timeout=0.2)


def test_a_handler_that_calls_the_client_is_refused_not_deadlocked(engine: Client) -> None:
    refused: List[BaseException] = []
    done = threading.Event()

    @engine.on_notification
    def call_back(notification: Notification) -> None:
        try:
            engine.session_ping(session="d-2")
        except RuntimeError as error:
            refused.append(error)
        done.set()

    engine.session_open(session="d-2", script="Hi.", provider="gemini-live", model=GEMINI)
    engine.usage_report(session="d-2", input_tokens=5000)
    assert done.wait(10) and len(refused) == 1 and "reader thread" in str(refused[0])
    assert engine.session_ping(session="d-2")["status"] == "active"


def test_concurrent_calls_from_threads_each_get_their_own_answer(engine: Client, binary: str) -> None:
    texts = ["Hello there.", "What does it cost per month?", "Tschüss, bis morgen! 👋", "ok"]
    tokens = {text: cli_count(binary, text) for text in texts}
    errors: List[BaseException] = []

    def talk(n: int) -> None:
        try:
            session = f"t-{n}"
            engine.session_open(session=session, script="Answer briefly.", window=100000)
            for i in range(60):
                text = texts[(n + i) % len(texts)]
                result = engine.turn_append(session=session, role="user" if i % 2 == 0 else "model", text=text)
                (added,) = result["delta"]["added"]
                assert result["session"] == session and result["version"] == i + 1
                assert (added["text"], added["tokens"]) == (text, tokens[text])
        except BaseException as error:  # reported to the main thread
            errors.append(error)

    threads = [threading.Thread(target=talk, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert engine.sessions_stats()["byStatus"]["active"]["count"] == 8


def test_a_killed_engine_fails_the_pending_and_later_calls_at_once(engine: Client) -> None:
    engine.session_open(session="k-1", script="Hi.")
    assert engine.process is not None
    os.kill(engine.process.pid, signal.SIGSTOP)  # the next call stays pending
    outcome: Dict[str, Any] = {}

    def call() -> None:
        try:
            engine.session_ping(session="k-1")
        except BaseException as error:
            outcome["error"] = error

    caller = threading.Thread(target=call)
    caller.start()
    time.sleep(0.3)
    assert caller.is_alive()
    started = time.monotonic()
    engine.process.kill()
    caller.join(10)
    assert not caller.is_alive() and time.monotonic() - started < 5
    died = outcome["error"]
    assert isinstance(died, EngineDied) and died.returncode == -signal.SIGKILL
    assert "SIGKILL" in str(died) and died.method == "session.ping"
    started = time.monotonic()
    with pytest.raises(EngineDied):
        engine.session_ping(session="k-1")
    with pytest.raises(EngineDied):
        engine.notify("session.ping", session="k-1")
    assert time.monotonic() - started < 1
    with pytest.raises(EngineDied):
        engine.next_notification(timeout=5)


def test_an_engine_that_cannot_start_reports_its_status_and_stderr(binary: str, tmp_path: Any) -> None:
    not_a_database = tmp_path / "garbage.db"
    not_a_database.write_bytes(b"this is not an SQLite file" * 200)
    with Client.spawn(binary, args=["--store", str(not_a_database)], timeout=30) as engine:
        with pytest.raises(EngineDied) as died:
            engine.sessions_stats()
    assert died.value.returncode == 2
    assert "tokenbudget serve" in died.value.stderr_tail and died.value.stderr_tail.strip() in str(died.value)


def test_close_waits_for_every_answer_then_refuses_calls(engine: Client) -> None:
    engine.session_open(session="c-1", script="Hi.")
    for i in range(50):
        engine.notify("turn.append", session="c-1", role="user", text=f"chunk {i}")
    assert engine.context_snapshot(session="c-1")["usage"]["items"] == 51
    assert engine.close() == 0
    with pytest.raises(ClientClosed):
        engine.session_ping(session="c-1")


def test_sigterm_ends_the_engine_with_status_zero(engine: Client) -> None:
    engine.session_open(session="t-1", script="Hi.")
    engine.terminate()
    with pytest.raises(EngineDied) as died:
        engine.next_notification(timeout=10)
    assert died.value.returncode == 0 and engine.returncode == 0


def test_a_call_times_out_and_the_late_answer_is_dropped(engine: Client) -> None:
    engine.session_open(session="slow", script="Hi.")
    assert engine.process is not None
    os.kill(engine.process.pid, signal.SIGSTOP)
    try:
        with pytest.raises(CallTimeout) as timed_out:
            engine.request("session.ping", {"session": "slow"}, timeout=0.3)
        assert isinstance(timed_out.value, TimeoutError)
    finally:
        os.kill(engine.process.pid, signal.SIGCONT)
    assert engine.session_ping(session="slow")["session"] == "slow"


def test_attach_to_pipes_of_an_engine_started_elsewhere(binary: str, serve_args: List[str]) -> None:
    process = subprocess.Popen([binary, "serve", *serve_args], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert process.stdin is not None and process.stdout is not None
    client = Client.attach(process.stdout, process.stdin, timeout=30)
    assert client.session_open(session="a-1", script="Hi.")["status"] == "active"
    assert client.close() is None
    assert process.wait(10) == 0


def test_large_answers_pass_whole(engine: Client) -> None:
    script = "word " * 30000  # the open's answer carries the script in its snapshot: about 150 KB on one line
    opened = engine.session_open(session="big", script=script, window=64000)
    assert opened["snapshot"]["items"][0]["text"] == script


def test_the_binary_is_found_or_reported(monkeypatch: pytest.MonkeyPatch, binary: str, tmp_path: Any) -> None:
    monkeypatch.delenv("TOKENBUDGET_BIN", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BinaryNotFound):
        tokenbudget.find_binary()
    with pytest.raises(BinaryNotFound):
        Client.spawn(tmp_path / "missing")
    monkeypatch.setenv("TOKENBUDGET_BIN", binary)
    assert tokenbudget.find_binary() == binary
