# Sourced by scripts/start and scripts/test: make .venv (Python >= 3.11) and install Liaison into it
# in editable mode with its dev and embedded extras (the embedded PostgreSQL and Temporal servers of
# `liaison up` and the tests), reinstalling only when pyproject.toml or the set of top-level
# packages changed since the last install.

cd "$(dirname "${BASH_SOURCE[0]}")/.."

_liaison_python() {
    local candidate
    for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
        if [[ -n "$candidate" ]] && command -v "$candidate" >/dev/null 2>&1 \
            && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    echo "Liaison needs Python 3.11 or newer (set PYTHON=/path/to/python3.11)" >&2
    return 1
}

if [[ ! -x .venv/bin/python ]]; then
    rm -rf .venv
    "$(_liaison_python)" -m venv .venv
fi

_liaison_stamp=.venv/.liaison-install-stamp
_liaison_hash="$(cat pyproject.toml ./*/__init__.py 2>/dev/null | cksum)"
if [[ ! -f "$_liaison_stamp" || "$(cat "$_liaison_stamp")" != "$_liaison_hash" ]]; then
    rm -f "$_liaison_stamp"
    .venv/bin/python -m pip install -qq --disable-pip-version-check -e '.[dev,embedded]'
    printf '%s\n' "$_liaison_hash" >"$_liaison_stamp"
fi
export PATH="$PWD/.venv/bin:$PATH"
