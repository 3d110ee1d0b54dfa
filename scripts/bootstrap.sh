#!/usr/bin/env bash
# Sets up a fresh Debian machine for tokenbudget: system libraries, Python's pip and venv (the
# vocabulary download below and scripts/venv.sh use them) and verified vocabularies.
# Idempotent: every step checks first and does nothing when already done.
#
# Vocabularies go to $TOKENBUDGET_VOCAB_DIR (default ~/.cache/tokenbudget/vocab). They are taken from
# ../shared/vocab when present, otherwise from the PyPI wheel litellm==1.91.5 (pure Python, MIT),
# and always checked against the SHA-256 of tiktoken's published files.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
vocab_dir="${TOKENBUDGET_VOCAB_DIR:-$HOME/.cache/tokenbudget/vocab}"
shared_vocab="$here/../shared/vocab"

log() { printf 'bootstrap: %s\n' "$*" >&2; }

# --- system packages ------------------------------------------------------------------------------
install_packages() {
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "installing ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}
install_packages libpcre2-dev libxxhash-dev libsqlite3-dev pkg-config python3-pip python3-venv

# --- vocabularies ---------------------------------------------------------------------------------
# name|sha256|wheel|member inside the wheel. The tiktoken files are tiktoken's own cache files inside
# litellm (MIT); the Gemma SentencePiece models ship in maxtext (Apache-2.0; the models are under the
# Gemma Terms of Use). maxtext needs Python >= 3.12, so its wheel is asked for as a 3.12 wheel: it is
# pure Python and only unzipped here, never installed.
vocabs=(
    "o200k_base.tiktoken|446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d|litellm|litellm/litellm_core_utils/tokenizers/fb374d419588a4632f3f557e76b4b70aebbca790"
    "cl100k_base.tiktoken|223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7|litellm|litellm/litellm_core_utils/tokenizers/9b5ad71b2ce5302211f9c61530b329a4922fc6a4"
    "gemma3_maxtext.spm.model|a96dfa1c296977bd225176202b305aeb29f3f49cc7d54b15bd31e998f91b9736|maxtext|maxtext/assets/tokenizers/tokenizer.gemma3"
    "gemma4_maxtext.spm.model|9f318ac4dc02f8580e3f65ff0b37286e7c3d1e5d664737bb2c8ca812b5453162|maxtext|maxtext/assets/tokenizers/tokenizer_gemma4.model"
)
declare -A wheel_spec=(
    [litellm]="litellm==1.91.5|litellm-1.91.5-py3-none-any.whl|"
    [maxtext]="maxtext==0.2.5|maxtext-0.2.5-py3-none-any.whl|--python-version 3.12"
)
declare -A wheel_path=()

sha_ok() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]; }

# Downloads a wheel once per run; sets wheel_path[$1].
fetch_wheel() {
    [ -n "${wheel_path[$1]:-}" ] && return 0
    local requirement file extra dir
    IFS='|' read -r requirement file extra <<<"${wheel_spec[$1]}"
    dir="$(mktemp -d)"
    log "downloading $requirement from PyPI"
    # shellcheck disable=SC2086 # $extra is deliberately split into options
    python3 -m pip download --quiet --no-deps --only-binary=:all: $extra "$requirement" -d "$dir"
    wheel_path[$1]="$dir/$file"
}

mkdir -p "$vocab_dir"
for entry in "${vocabs[@]}"; do
    IFS='|' read -r name sha wheel member <<<"$entry"
    target="$vocab_dir/$name"
    sha_ok "$target" "$sha" && continue
    if sha_ok "$shared_vocab/$name" "$sha"; then
        log "copying $name from $shared_vocab"
        cp "$shared_vocab/$name" "$target.tmp"
    else
        fetch_wheel "$wheel"
        python3 - "${wheel_path[$wheel]}" "$member" "$target.tmp" <<'PY'
import sys, zipfile
wheel, member, out = sys.argv[1:]
with zipfile.ZipFile(wheel) as z, open(out, "wb") as f:
    f.write(z.read(member))
PY
    fi
    if ! sha_ok "$target.tmp" "$sha"; then
        rm -f "$target.tmp"
        log "ERROR: $name does not match its SHA-256 $sha; refusing to install it"
        exit 1
    fi
    mv "$target.tmp" "$target"
    log "installed $target (sha256 verified)"
done
for path in "${wheel_path[@]}"; do rm -rf "$(dirname "$path")"; done
log "ready: vocabularies in $vocab_dir"
