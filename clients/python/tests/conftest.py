"""Fixtures: the real ``tokenbudget`` binary ($TOKENBUDGET_BIN or PATH), engines on throwaway stores."""

from __future__ import annotations

import pathlib
import subprocess
from typing import Iterator, List

import pytest

from tokenbudget import Client, find_binary

REPO = pathlib.Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def binary() -> str:
    # No skip when it is missing: BinaryNotFound fails every test that needs the engine.
    return find_binary()


@pytest.fixture
def serve_args(tmp_path: pathlib.Path) -> List[str]:
    return ["--store", str(tmp_path / "sessions.db")]


@pytest.fixture
def engine(binary: str, serve_args: List[str]) -> Iterator[Client]:
    with Client.spawn(binary, args=serve_args, timeout=60) as client:
        yield client


def cli_count(binary: str, text: str, encoding: str = "o200k_base") -> int:
    """The token count the CLI prints, computed without the package."""
    done = subprocess.run([binary, "count", "--encoding", encoding], input=text.encode(), capture_output=True,
                          check=True)
    return int(done.stdout)
