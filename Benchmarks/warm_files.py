"""The files a `warm` encoder reads first: a corpus's .txt files in name order until `max_bytes` is
passed (the file that passes it included). Shared by tokenizer_relay_bench.py and tokenizer_ab.py, so
that both warm on the same text."""
import pathlib

WARM_BYTES = 2_000_000


def warm_files(folder, max_bytes=WARM_BYTES):
    """Returns (paths, total bytes)."""
    paths, size = [], 0
    for path in sorted(pathlib.Path(folder).rglob("*.txt")):
        if size >= max_bytes:
            break
        paths.append(path)
        size += path.stat().st_size
    return paths, size
