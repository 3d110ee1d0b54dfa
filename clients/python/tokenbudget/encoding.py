"""Token counts and ids with tiktoken's names and shapes, computed by the ``tokenbudget`` CLI.

Example::

    import tokenbudget

    enc = tokenbudget.get_encoding("o200k_base")
    ids = enc.encode("hello world")            # the ids tiktoken gives
    assert enc.decode(ids) == "hello world"
    enc.encode("<|endoftext|>")                # ValueError, as in tiktoken
    enc.encode("<|endoftext|>", allowed_special="all")   # [199999]

Each call runs ``tokenbudget count|encode|decode --encoding NAME`` once (the vocabulary loads each
time): meant for tools and tests, not for a hot loop; a session's counts come from the engine itself.
"""

from __future__ import annotations

import json
import re
import subprocess
from typing import AbstractSet, Collection, Dict, FrozenSet, List, Optional, Sequence, Union

from .engine import PathLike, find_binary
from .errors import CommandFailed

# tiktoken's special tokens of each encoding (tiktoken_ext/openai_public.py); the Gemma encodings match
# their user-defined pieces in the text itself and have no tiktoken-style special tokens.
_SPECIAL_TOKENS: Dict[str, FrozenSet[str]] = {
    "o200k_base": frozenset({"<|endoftext|>", "<|endofprompt|>"}),
    "cl100k_base": frozenset({"<|endoftext|>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>",
                              "<|endofprompt|>"}),
    "gemma3": frozenset(),
    "gemma4": frozenset(),
}

SpecialSet = Union[str, AbstractSet[str]]  # a set of special tokens, or "all"


def list_encoding_names() -> List[str]:
    """The encodings the engine knows."""
    return list(_SPECIAL_TOKENS)


def get_encoding(encoding_name: str, *, binary: Optional[PathLike] = None) -> "Encoding":
    """The :class:`Encoding` named ``encoding_name`` (``o200k_base``, ``cl100k_base``, ``gemma3``, ``gemma4``).

    Raises:
        ValueError: an unknown name (as tiktoken's ``get_encoding``).
        BinaryNotFound: no ``tokenbudget`` binary (``binary``, ``$TOKENBUDGET_BIN``, ``PATH``).
    """
    if encoding_name not in _SPECIAL_TOKENS:
        raise ValueError(f"Unknown encoding {encoding_name}. Known: {', '.join(_SPECIAL_TOKENS)}")
    return Encoding(encoding_name, binary=binary)


class Encoding:
    """One encoding, as tiktoken's ``Encoding``: ``encode``, ``encode_ordinary``, ``decode``, plus ``count``."""

    def __init__(self, name: str, *, binary: Optional[PathLike] = None) -> None:
        self.name = name
        self.special_tokens_set: FrozenSet[str] = _SPECIAL_TOKENS.get(name, frozenset())
        self._binary = find_binary(binary)
        self._special_ids: Dict[str, int] = {}

    def __repr__(self) -> str:
        return f"<Encoding {self.name!r}>"

    # MARK: - tiktoken's methods

    def encode_ordinary(self, text: str) -> List[int]:
        """The ids of ``text``, special tokens encoded as ordinary text."""
        return self._encode(text, ())

    def encode(self, text: str, *, allowed_special: SpecialSet = frozenset(),
               disallowed_special: Union[str, Collection[str]] = "all") -> List[int]:
        """The ids of ``text``, as tiktoken's ``Encoding.encode``.

        A special token in ``allowed_special`` ("all": every one) is encoded as its id; one in
        ``disallowed_special`` (default "all": every special token not allowed) raises ``ValueError``;
        any other is encoded as ordinary text.

        Raises:
            ValueError: the text contains a disallowed special token.
        """
        allowed = self.special_tokens_set if allowed_special == "all" else frozenset(allowed_special)
        if disallowed_special == "all":
            disallowed = self.special_tokens_set - allowed
        else:
            disallowed = frozenset(disallowed_special)
        if disallowed:
            match = _special_regex(disallowed).search(text)
            if match:
                _raise_disallowed_special_token(match.group())
        present = {token for token in self.special_tokens_set if token in text}
        wanted = present & allowed
        if not wanted:
            return self.encode_ordinary(text)
        if present <= allowed:
            return self._encode(text, sorted(wanted))
        # Allowed and merely tolerated special tokens both occur: the CLI refuses a special token it was
        # not told to allow, so the text is cut at the allowed ones (where tiktoken cuts it too).
        ids: List[int] = []
        start = 0
        for match in _special_regex(wanted).finditer(text):
            ids += self.encode_ordinary(text[start:match.start()])
            ids.append(self._special_id(match.group()))
            start = match.end()
        return ids + self.encode_ordinary(text[start:])

    def decode_bytes(self, tokens: Sequence[int]) -> bytes:
        """The bytes of ``tokens``.

        Raises:
            KeyError: an id not in the encoding (as tiktoken).
        """
        try:
            return self._run("decode", " ".join(str(int(token)) for token in tokens).encode("ascii"))
        except CommandFailed as error:
            if " is not in " in error.stderr:  # the CLI's "id N at position P is not in NAME"
                raise KeyError(f"Invalid token for decoding: {error.stderr}") from error
            raise

    def decode(self, tokens: Sequence[int], errors: str = "replace") -> str:
        """The text of ``tokens``; bytes that are not UTF-8 handled per ``errors`` (as tiktoken: "replace")."""
        return self.decode_bytes(tokens).decode("utf-8", errors=errors)

    # MARK: - Beyond tiktoken

    def count(self, text: str) -> int:
        """The number of tokens of ``text`` as ordinary text (``len(encode_ordinary(text))``, without the ids)."""
        return int(self._run("count", _utf8(text)))

    # MARK: - The CLI

    def _encode(self, text: str, allowed: Sequence[str]) -> List[int]:
        options = ["--format", "json"]
        for token in allowed:
            options += ["--allow-special", token]
        ids = json.loads(self._run("encode", _utf8(text), *options))
        return [int(token) for token in ids]

    def _special_id(self, token: str) -> int:
        if token not in self._special_ids:
            (self._special_ids[token],) = self._encode(token, [token])
        return self._special_ids[token]

    def _run(self, command: str, input: bytes, *options: str) -> bytes:
        argv = [self._binary, command, "--encoding", self.name, *options, "-"]
        done = subprocess.run(argv, input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if done.returncode != 0:
            stderr = done.stderr.decode("utf-8", errors="replace").strip()
            raise CommandFailed(f"tokenbudget {command} --encoding {self.name} exited with status "
                                f"{done.returncode}: {stderr}", returncode=done.returncode, stderr=stderr)
        return done.stdout


def _utf8(text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        # tiktoken's handling of lone surrogates: each becomes U+FFFD.
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace").encode("utf-8")


def _special_regex(tokens: Collection[str]) -> "re.Pattern[str]":
    return re.compile("|".join(re.escape(token) for token in sorted(tokens)))


def _raise_disallowed_special_token(token: str) -> None:
    # tiktoken's message, word for word (tiktoken/core.py, raise_disallowed_special_token).
    raise ValueError(
        f"Encountered text corresponding to disallowed special token {token!r}.\n"
        "If you want this text to be encoded as a special token, "
        f"pass it to `allowed_special`, e.g. `allowed_special={{{token!r}, ...}}`.\n"
        f"If you want this text to be encoded as normal text, disable the check for this token "
        f"by passing `disallowed_special=(enc.special_tokens_set - {{{token!r}}})`.\n"
        "To disable this check for all special tokens, pass `disallowed_special=()`.\n"
    )
