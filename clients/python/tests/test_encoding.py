"""``get_encoding`` / ``Encoding`` against tiktoken: the repository's recorded ids, and tiktoken itself when installed."""

from __future__ import annotations

import json
import os
from typing import Any, Dict, List

import pytest

import tokenbudget
from tokenbudget import CommandFailed, Encoding

from conftest import REPO, cli_count

MIXED = "hi <|endoftext|> there <|endofprompt|> x"
SAMPLES = ["hello world", "  leading spaces and trailing  ", "naïve café — 10% off!", "数字 123456789 🚀🚀",
           "def f(x):\n\treturn x**2\n", "<|endoftext|> as text", ""]


def recorded_cases(count: int = 40) -> List[Dict[str, Any]]:
    """The first `count` random strings with the ids tiktoken gave them (fixtures/tokenizer, made by tiktoken)."""
    with open(REPO / "fixtures/tokenizer/random_strings.json", encoding="utf-8") as file:
        return json.load(file)[:count]  # type: ignore[no-any-return]


@pytest.mark.parametrize("name", ["o200k_base", "cl100k_base"])
def test_ids_equal_tiktokens_recorded_ids(name: str) -> None:
    enc = tokenbudget.get_encoding(name)
    for case in recorded_cases():
        assert enc.encode_ordinary(case["text"]) == case[name], case["text"]


def test_ids_equal_tiktoken_itself() -> None:
    expected = os.environ.get("TOKENBUDGET_EXPECT_TIKTOKEN") == "1"  # set by scripts/test-python-client.sh
    try:
        import tiktoken
    except ImportError:
        if expected:
            raise
        pytest.skip("tiktoken is not installed")
    for name in ("o200k_base", "cl100k_base"):
        theirs, ours = tiktoken.get_encoding(name), tokenbudget.get_encoding(name)
        assert ours.special_tokens_set == theirs.special_tokens_set
        for text in SAMPLES + [MIXED]:
            assert ours.encode_ordinary(text) == theirs.encode_ordinary(text)
            assert ours.decode(theirs.encode_ordinary(text)) == text
        for options in ({"allowed_special": "all"}, {"disallowed_special": ()},
                        {"allowed_special": {"<|endoftext|>"}, "disallowed_special": ()},
                        {"allowed_special": {"<|endofprompt|>", "not-a-token"}, "disallowed_special": ()}):
            assert ours.encode(MIXED, **options) == theirs.encode(MIXED, **options), options
        with pytest.raises(ValueError) as their_error:
            theirs.encode(MIXED)
        with pytest.raises(ValueError) as our_error:
            ours.encode(MIXED)
        assert str(our_error.value) == str(their_error.value)


def test_encode_refuses_special_tokens_the_way_tiktoken_does() -> None:
    enc = tokenbudget.get_encoding("o200k_base")
    with pytest.raises(ValueError, match="disallowed special token '<\\|endoftext\\|>'"):
        enc.encode("the end<|endoftext|>")
    assert enc.encode("<|endoftext|>", allowed_special="all") == [199999]
    assert enc.encode("<|endoftext|>", allowed_special={"<|endoftext|>"}) == [199999]
    as_text = enc.encode("<|endoftext|>", disallowed_special=())
    assert len(as_text) > 1 and as_text == enc.encode_ordinary("<|endoftext|>")
    with pytest.raises(ValueError, match="<\\|endofprompt\\|>"):
        enc.encode(MIXED, allowed_special={"<|endoftext|>"})
    # Allowed and tolerated special tokens together: cut at the allowed one, the other stays text.
    mixed = enc.encode(MIXED, allowed_special={"<|endoftext|>"}, disallowed_special=())
    assert mixed.count(199999) == 1 and 200018 not in mixed
    assert enc.decode(mixed) == MIXED


def test_decode_count_and_bytes() -> None:
    enc = tokenbudget.get_encoding("cl100k_base")
    for text in SAMPLES:
        ids = enc.encode_ordinary(text)
        assert enc.decode(ids) == text and enc.decode_bytes(ids) == text.encode("utf-8")
        assert enc.count(text) == len(ids)
    partial = enc.encode_ordinary("🚀")[:1]  # the first of its byte-level tokens: not UTF-8 alone
    assert enc.decode_bytes(partial) != b"" and "\ufffd" in enc.decode(partial)
    with pytest.raises(UnicodeDecodeError):
        enc.decode(partial, errors="strict")
    with pytest.raises(KeyError):
        enc.decode([10**7])
    assert enc.decode([]) == ""


def test_lone_surrogates_become_replacement_characters_as_in_tiktoken() -> None:
    enc = tokenbudget.get_encoding("o200k_base")
    assert enc.encode_ordinary("a\ud800b") == enc.encode_ordinary("a\ufffdb")


def test_gemma_encodings_count_as_the_cli_does(binary: str) -> None:
    for name in ("gemma3", "gemma4"):
        enc = tokenbudget.get_encoding(name)
        text = "Guten Tag! Wie viel kostet die Anlage?"
        ids = enc.encode(text)
        assert len(ids) == enc.count(text) == cli_count(binary, text, name)
        assert enc.decode(ids) == text
        assert enc.special_tokens_set == frozenset()


def test_unknown_names_and_failures_are_reported(binary: str) -> None:
    with pytest.raises(ValueError, match="Unknown encoding p50k_base"):
        tokenbudget.get_encoding("p50k_base")
    assert tokenbudget.list_encoding_names() == ["o200k_base", "cl100k_base", "gemma3", "gemma4"]
    # A name the package lists but the engine does not know surfaces as the CLI's failure.
    with pytest.raises(CommandFailed) as failed:
        Encoding("o300k_base", binary=binary).count("hi")
    assert failed.value.returncode != 0 and "o300k_base" in failed.value.stderr
