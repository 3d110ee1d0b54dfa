# Sourced by scripts/bootstrap-oracles.sh and scripts/test-python-client.sh: one way to get a working
# venv. `ensure_venv VENV [PYTHON]` installs Debian's python3-venv when `python3 -m venv` is missing,
# removes a venv whose pip is broken, and creates VENV when absent. Messages go to stderr.
ensure_venv() {
    local venv="$1" python="${2:-python3}"
    if ! "$python" -m venv --help >/dev/null 2>&1 || ! "$python" -c 'import ensurepip' >/dev/null 2>&1; then
        printf 'venv: python3 -m venv unavailable: installing python3-venv\n' >&2
        local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-venv >/dev/null
    fi
    if [ -e "$venv" ] && ! "$venv/bin/python" -m pip --version >/dev/null 2>&1; then
        printf 'venv: removing broken venv %s\n' "$venv" >&2
        rm -rf "$venv"
    fi
    if [ ! -x "$venv/bin/python" ]; then
        printf 'venv: creating %s\n' "$venv" >&2
        mkdir -p "$(dirname "$venv")"
        "$python" -m venv "$venv"
    fi
}
