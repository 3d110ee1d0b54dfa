"""The cases of scripts/fault-suite.sh: each drives the real `tokenbudget serve` on real pipes and
files, and checks what a relay would see (answers, exit status) and what the store holds after a
restart. Run through scripts/fault-suite.sh (it installs strace when missing)."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

BINARY = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".build/debug/tokenbudget")
OUTCOME_UNKNOWN = -32015
WRITES_REFUSED = -32016


class Engine:
    """One `serve` process; `strace` (a list of its options) runs it under strace."""

    def __init__(self, store, strace=None, extra=()):
        command = [BINARY, "serve", "--store", store, *extra]
        if strace is not None:
            command = ["strace", "-f", "-o", "/dev/null", *strace, *command]
        self.traced = strace is not None
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE)
        self.lines = []
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.next_id = 1

    def _read(self):
        for line in self.process.stdout:
            with self.lock:
                self.lines.append(json.loads(line))

    def send(self, requests):
        """Writes the requests in one write (one batch when they arrive together); returns their answers."""
        ids = []
        text = ""
        for method, params in requests:
            ids.append(self.next_id)
            text += json.dumps({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params}) + "\n"
            self.next_id += 1
        self.process.stdin.write(text.encode())
        self.process.stdin.flush()
        deadline = time.time() + 30
        while time.time() < deadline:
            with self.lock:
                answers = {line.get("id"): line for line in self.lines if "id" in line}
            if all(i in answers for i in ids):
                return [answers[i] for i in ids]
            if self.process.poll() is not None and not self.reader.is_alive():
                break
            time.sleep(0.005)
        raise AssertionError(f"no answer to {ids} (exit {self.process.poll()})")

    def call(self, method, **params):
        return self.send([(method, params)])[0]

    def finish(self):
        """Closes stdin and waits: (status, stderr)."""
        try:
            self.process.stdin.close()
        except BrokenPipeError:
            pass
        status = self.process.wait(timeout=60)
        return status, self.process.stderr.read().decode(errors="replace")

    def kill(self):
        """kill -9 of the engine itself (under strace: the traced child first, then strace)."""
        victims = []
        if self.traced:
            for task in os.listdir(f"/proc/{self.process.pid}/task"):
                with open(f"/proc/{self.process.pid}/task/{task}/children") as children:
                    victims += [int(pid) for pid in children.read().split()]
        victims.append(self.process.pid)
        for pid in victims:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait(timeout=30)


def result(answer):
    if "result" not in answer:
        raise AssertionError(f"expected a result, got {json.dumps(answer)[:300]}")
    return answer["result"]


def error_code(answer):
    return answer.get("error", {}).get("code")


def expect(condition, what):
    if not condition:
        raise AssertionError(what)


def open_params(session, **extra):
    return {"session": session, "script": "You sell solar panels. Be brief.", **extra}


def turn(session, text, role="user", **extra):
    return ("turn.append", {"session": session, "role": role, "text": text, **extra})


def messages(store, session):
    engine = Engine(store)
    answer = engine.call("session.messages", session=session)
    engine.finish()
    return [m["content"] for m in result(answer)["messages"]]


def a_store(directory):
    """A store holding one open session "s" (the engine exited cleanly)."""
    store = os.path.join(directory, "sessions.db")
    engine = Engine(store)
    result(engine.call("session.open", **open_params("s")))
    status, stderr = engine.finish()
    expect(status == 0, f"setup exited {status}: {stderr}")
    return store


# MARK: - Cases

def eio_at_commit(when):
    """Every fdatasync from the `when`-th on fails with EIO: the commit's outcome is unknown (-32015,
    never "nothing changed"), later writes are refused (-32016), reads still answer; after kill -9 and
    a restart the relay's retry with the same requestId leaves exactly one copy of the turn, whether
    or not the failed batch reached the disk. ("1+": the first sync of the batch fails; "3+": with a
    fresh WAL the first two syncs are the WAL header and its folder, the third is the commit's, and
    the batch came back after the restart 3 of 3 times before the fix.)"""
    def case(directory):
        store = a_store(directory)
        engine = Engine(store, strace=["-e", "trace=fdatasync", "-e", f"inject=fdatasync:error=EIO:when={when}"])
        first = engine.call("turn.append", session="s", role="user", text="one", requestId="r-one")
        expect(error_code(first) == OUTCOME_UNKNOWN, f"failed commit answered {json.dumps(first)[:300]}")
        second = engine.send([turn("s", "two", requestId="r-two")])[0]
        expect(error_code(second) == WRITES_REFUSED, f"a write after it answered {json.dumps(second)[:300]}")
        result(engine.call("session.get", session="s"))
        engine.kill()
        came_back = messages(store, "s") == ["one"]
        engine = Engine(store)
        retry = engine.send([turn("s", "one", requestId="r-one")])[0]
        result(retry)
        engine.finish()
        stored = messages(store, "s")
        expect(stored == ["one"], f"after the retry the store holds {stored}")
        return "the failed batch was on disk after the restart" if came_back else "the failed batch was not on disk"
    case.__name__ = f"case_eio_at_commit_is_outcome_unknown_when_{when.replace('+', 'on')}"
    return case


def second_engine_through(kind, make_link):
    """A second engine on the same file through a link made by make_link (the lock is by the file's identity)."""
    def case(directory):
        store = a_store(directory)
        link = os.path.join(directory, "link.db")
        make_link(store, link)
        first = Engine(store)
        result(first.call("session.get", session="s"))
        second = Engine(link)
        status, stderr = second.finish()
        first.finish()
        expect(status == 2 and "in use" in stderr, f"a second engine through a {kind}: status {status}, {stderr[:300]}")
    case.__name__ = f"case_{kind.replace(' ', '_')}_second_engine_refused"
    return case


def case_deleted_under_engine_refuses_writes(directory):
    store = a_store(directory)
    engine = Engine(store)
    result(engine.call("turn.append", session="s", role="user", text="before"))
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(store + suffix):
            os.remove(store + suffix)
    answer = engine.send([turn("s", "after", role="model")])[0]
    expect(error_code(answer) == WRITES_REFUSED, f"a write after the file was deleted answered {json.dumps(answer)[:300]}")
    again = engine.send([turn("s", "again", role="model")])[0]
    expect(error_code(again) == WRITES_REFUSED, f"the next write answered {json.dumps(again)[:300]}")
    engine.finish()


def case_replaced_under_engine_refuses_writes(directory):
    store = a_store(directory)
    engine = Engine(store)
    result(engine.call("turn.append", session="s", role="user", text="before"))
    copy = os.path.join(directory, "copy.db")
    shutil.copyfile(store, copy)
    os.replace(copy, store)
    answer = engine.send([turn("s", "after", role="model")])[0]
    expect(error_code(answer) == WRITES_REFUSED, f"a write after the file was replaced answered {json.dumps(answer)[:300]}")
    engine.finish()


def case_nul_ids_and_text_stored_whole(directory):
    store = os.path.join(directory, "sessions.db")
    engine = Engine(store)
    answers = engine.send([
        ("session.open", open_params("a")), ("session.open", open_params("a\u0000evil")),
        turn("a", "x\u0000y"), turn("a\u0000evil", "evil"), ("session.open", open_params("bystander")),
        turn("bystander", "hello"),
    ])
    for answer in answers:
        result(answer)
    engine.finish()
    expect(messages(store, "a") == ["x\u0000y"], f"session a holds {messages(store, 'a')}")
    expect(messages(store, "a\u0000evil") == ["evil"], f"session a\\0evil holds {messages(store, 'a' + chr(0) + 'evil')}")
    expect(messages(store, "bystander") == ["hello"], "the bystander's turn was lost")


def case_canonically_equivalent_ids_are_two_sessions(directory):
    store = os.path.join(directory, "sessions.db")
    composed, decomposed = "caf\u00e9", "cafe\u0301"
    engine = Engine(store)
    answers = engine.send([
        ("session.open", open_params(composed)), ("session.open", open_params(decomposed)),
        turn(composed, "composed"), turn(decomposed, "decomposed"), ("session.open", open_params("bystander")),
        turn("bystander", "hello"),
    ])
    for answer in answers:
        result(answer)
    engine.finish()
    expect(messages(store, composed) == ["composed"], f"{composed!r} holds {messages(store, composed)}")
    expect(messages(store, decomposed) == ["decomposed"], f"{decomposed!r} holds {messages(store, decomposed)}")
    expect(messages(store, "bystander") == ["hello"], "the bystander's turn was lost")


def case_damaged_file_refused_at_start(directory):
    store = os.path.join(directory, "sessions.db")
    engine = Engine(store)
    result(engine.call("session.open", **open_params("s")))
    for index in range(40):
        result(engine.call("turn.append", session="s", role="user" if index % 2 == 0 else "model", text=f"turn {index} " * 40))
    engine.finish()
    with open(store, "r+b") as file:
        size = file.seek(0, 2)
        expect(size >= 4 * 4096, f"the store is only {size} bytes")
        file.seek(size - 2 * 4096)  # a b-tree page near the end: page 1 (the header) stays intact
        file.write(b"\xa5" * 4096)
    before = open(store, "rb").read()
    engine = Engine(store)
    status, stderr = engine.finish()
    expect(status == 2 and "quick_check" in stderr, f"a damaged store: status {status}, {stderr[:300]}")
    expect(open(store, "rb").read() == before, "the damaged file was changed")


def case_request_id_answers_original_across_restart(directory):
    store = os.path.join(directory, "sessions.db")
    engine = Engine(store)
    opened = engine.send([("session.open", open_params("s", requestId="open-1"))])[0]
    first = engine.send([turn("s", "hello", requestId="t-1")])[0]
    again = engine.send([turn("s", "hello", requestId="t-1")])[0]
    expect(result(again) == result(first), "a retry in the same engine did not answer the original result")
    reopened = engine.send([("session.open", open_params("s", requestId="open-1"))])[0]
    expect(result(reopened) == result(opened), "a retried session.open did not answer the original result")
    engine.finish()
    engine = Engine(store)
    later = engine.send([turn("s", "hello", requestId="t-1")])[0]
    expect(result(later) == result(first), "a retry after a restart did not answer the original result")
    other = engine.send([turn("s", "again", requestId="t-2")])[0]
    expect(result(other)["version"] == result(first)["version"] + 1, "a new requestId was not applied")
    engine.finish()
    stored = messages(store, "s")
    expect(stored == ["hello", "again"], f"t-1 must be stored once and t-2 once: {stored}")

CASES = [
    eio_at_commit("1+"),
    eio_at_commit("3+"),
    second_engine_through("symlink", os.symlink),
    second_engine_through("hard link", os.link),
    case_deleted_under_engine_refuses_writes,
    case_replaced_under_engine_refuses_writes,
    case_nul_ids_and_text_stored_whole,
    case_canonically_equivalent_ids_are_two_sessions,
    case_damaged_file_refused_at_start,
    case_request_id_answers_original_across_restart,
    # MARK: more cases: add a function above (directory -> None, raising AssertionError on failure)
    # and its name here.
]


def main():
    passed = failed = 0
    only = os.environ.get("FAULT_CASE")
    for case in CASES:
        if only and only not in case.__name__:
            continue
        directory = tempfile.mkdtemp(prefix="tb-fault-")
        started = time.time()
        try:
            note = case(directory)
            passed += 1
            print(f"ok   {case.__name__} ({time.time() - started:.1f} s){': ' + note if note else ''}", flush=True)
        except Exception as error:  # one case's failure must not stop the others
            failed += 1
            print(f"FAIL {case.__name__}: {error}", flush=True)
        finally:
            shutil.rmtree(directory, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
