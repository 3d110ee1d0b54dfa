"""The text of `data` (UTF-8) in calls of about `size` bytes, each cut where a character starts
(a relay sends text): the chunking of tokenizer_side_by_side.py and tokenizer_relay_bench.py, and of
TokenizerThroughput on the Swift side. `size` 0 = the whole text in one call."""


def utf8_chunks(data, size):
    if size == 0:
        return [data.decode("utf-8")]
    out, start = [], 0
    while start < len(data):
        end = min(start + size, len(data))
        while end < len(data) and data[end] & 0xC0 == 0x80:
            end += 1
        out.append(data[start:end].decode("utf-8"))
        start = end
    return out
