# Sourced by ./mentorburst and ./test: make .venv (Python >= 3.11) and install this checkout
# into it, again only when pyproject.toml changed.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$here/.venv"
python="${PYTHON:-python3}"
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "mentorburst needs Python 3.11 or newer as '$python' (set PYTHON=/path/to/python3.11)" >&2
    exit 1
fi
stamp="$venv/.installed-$(sha1sum "$here/pyproject.toml" | cut -c1-12)"
if [ ! -f "$stamp" ]; then
    echo "setting up $venv (first run only)..." >&2
    [ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "$here[dev]" >&2
    rm -f "$venv"/.installed-*
    touch "$stamp"
fi
