"""The README's programs run as written: the relay stand-in and the two client quick starts."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from typing import List

from conftest import REPO

CLIENT = REPO / "clients/python"


def readme_programs() -> List[str]:
    """The README's python blocks that are whole programs (the others are fragments)."""
    blocks = re.findall(r"```python\n(.*?)```", (CLIENT / "README.md").read_text(encoding="utf-8"), re.S)
    return [block for block in blocks if block.startswith(("from tokenbudget import", "import asyncio", '"""'))]


def run(program: str, binary: str) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
    return subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "TOKENBUDGET_BIN": binary}, cwd=str(REPO))


def test_the_readme_shows_the_example_file_verbatim() -> None:
    example = (CLIENT / "examples/relay_standin.py").read_text(encoding="utf-8")
    assert example in readme_programs()


def test_the_relay_stand_in_reseeds_on_a_new_connection(binary: str) -> None:
    done = run((CLIENT / "examples/relay_standin.py").read_text(encoding="utf-8"), binary)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    turns = [line for line in lines if re.match(r"^ *(user|model): ", line)]
    assert len(turns) == 6
    assert lines[0].startswith('    -> connection 1: {"setup": {"model": "models/gemini-2.5-flash')
    assert any("[SALES_MANAGER_INSTRUCTI" in line for line in lines)  # the instruction, sent at speech start
    reseed = next(i for i, line in enumerate(lines) if line.startswith("    re-seed: "))
    assert lines[reseed + 1].startswith('    -> connection 2: {"setup"')
    assert lines[reseed + 2].startswith('    -> connection 2: {"clientContent"')
    def held(line: str) -> int:
        return int(re.findall(r"holds (\d+) tokens", line)[0])

    before = held(next(line for line in reversed(lines[:reseed]) if line in turns))
    after = held(next(line for line in lines[reseed:] if line in turns))
    assert after < before  # the new connection holds the compacted text, not the audio


def test_the_quick_starts_run(binary: str) -> None:
    programs = [p for p in readme_programs() if not p.startswith('"""')]
    assert len(programs) == 2
    for program in programs:
        done = run(program, binary)
        assert done.returncode == 0, done.stderr
    assert "-32005" in run(programs[0], binary).stdout
