"""A buffer written before a timed call, so that the tables of whatever runs next start outside the
core's own cache, as between two turns of a relay. Shared by tokenizer_ab.py and
tokenizer_relay_bench.py (`--pollute MB`)."""

MEGABYTE = 1 << 20
_ZEROS = bytes(MEGABYTE)


def polluter(megabytes):
    """A function that writes `megabytes` MB of memory, or one that does nothing for 0."""
    buffer = bytearray(megabytes * MEGABYTE)

    def pollute():
        for offset in range(0, len(buffer), MEGABYTE):
            buffer[offset : offset + MEGABYTE] = _ZEROS

    return pollute
