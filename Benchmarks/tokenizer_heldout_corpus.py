#!/usr/bin/env python3
"""Builds a held-out multilingual corpus from what a Debian machine already has, for
`tokenizer_relay_bench.py --corpus`: text the project's shared corpus does not contain.

    python3 Benchmarks/tokenizer_heldout_corpus.py OUT_DIR [--bytes-per-file 160000]

Sources (none of them in ../shared/corpus, which holds it/ro/zh/ja man pages, PEPs, Firefox and
LibreOffice strings): gettext catalogues in /usr/share/locale (msgstr of every .mo, per language),
de/fr/pl/ru/uk man pages (roff requests and font escapes stripped), and Python sources of the
packages installed beside this interpreter (site-packages, not the standard library). Files are cut
at line ends; a language with too little text here is skipped with a message.
"""
import argparse, gzip, pathlib, re, struct, sys, sysconfig

p = argparse.ArgumentParser()
p.add_argument("out")
p.add_argument("--bytes-per-file", type=int, default=160_000)
args = p.parse_args()
out = pathlib.Path(args.out)
out.mkdir(parents=True, exist_ok=True)


def mo_strings(path):
    data = path.read_bytes()
    if len(data) < 28:
        return []
    magic = struct.unpack("<I", data[:4])[0]
    order = "<" if magic == 0x950412DE else ">"
    _, count, _, translations = struct.unpack(order + "4I", data[4:20])
    texts = []
    for index in range(count):
        length, offset = struct.unpack(order + "2I", data[translations + 8 * index: translations + 8 * index + 8])
        text = data[offset: offset + length].decode("utf-8", "ignore")
        if index == 0 and "Content-Type" in text:
            continue  # the catalogue header
        texts.extend(part for part in text.split("\0") if part.strip())
    return texts


def man_text(path):
    raw = gzip.open(path).read().decode("utf-8", "ignore") if path.suffix == ".gz" else path.read_text("utf-8", "ignore")
    lines = []
    for line in raw.splitlines():
        if line.startswith((".", "'")):
            line = re.sub(r"^[.'][A-Za-z]{1,2}\s*", "", line) if re.match(r"^[.'](B|I|BR|IR|RB|SH|SS|TP|IP)\b", line) else ""
        line = re.sub(r"\\f[BIRP]|\\f\(..|\\\(..|\\[-&e]", "", line).replace('"', "")
        if line.strip():
            lines.append(line)
    return "\n".join(lines)


def take(texts, limit):
    chunks, size = [], 0
    for text in texts:
        encoded = (text.rstrip() + "\n").encode("utf-8")
        if size + len(encoded) > limit:
            break
        chunks.append(encoded)
        size += len(encoded)
    return b"".join(chunks)


def write(name, data):
    if len(data) < args.bytes_per_file // 4:
        print(f"skip {name}: only {len(data)} bytes here", file=sys.stderr)
        return
    (out / name).write_bytes(data)
    print(f"{name}: {len(data):,} bytes", file=sys.stderr)


for language in ["ru", "de", "ja", "ko", "zh_CN", "zh_TW", "ar", "he", "hi", "el", "th", "vi"]:
    catalogues = sorted(pathlib.Path("/usr/share/locale", language).rglob("*.mo"))
    texts = [text for path in catalogues for text in mo_strings(path)]
    write(f"mo-{language}.txt", take(texts, args.bytes_per_file))
for language in ["de", "fr", "pl", "uk"]:
    pages = sorted(pathlib.Path("/usr/share/man", language).rglob("*.[0-9]*"))
    write(f"man-{language}.txt", take((man_text(page) for page in pages), args.bytes_per_file))
site = pathlib.Path(sysconfig.get_paths()["purelib"])
write("code-site-packages.txt", take((path.read_text("utf-8", "ignore") for path in sorted(site.rglob("*.py"))), args.bytes_per_file))
