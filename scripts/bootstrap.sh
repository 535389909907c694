# Sourced by ./mentorburst and ./test: make .venv (Python >= 3.11) and install into it, from the
# lock file with every hash checked, what the caller needs: ./test sets lock=dev (everything),
# ./mentorburst leaves lock=run (the server). Again only when a lock file or pyproject.toml changed.
# scripts/lock refreshes the lock files.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$here/.venv"
python="${PYTHON:-python3}"
lock="${lock:-run}"
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "mentorburst needs Python 3.11 or newer as '$python' (set PYTHON=/path/to/python3.11)" >&2
    exit 1
fi
stamp_of() {
    echo "$venv/.installed-$1-$(cat "$here/requirements/$1.txt" "$here/pyproject.toml" | sha1sum | cut -c1-12)"
}
# dev.txt holds everything run.txt does, at the same versions.
if [ ! -f "$(stamp_of "$lock")" ] && [ ! -f "$(stamp_of dev)" ]; then
    echo "setting up $venv from requirements/$lock.txt (first run only)..." >&2
    [ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
    pip=("$venv/bin/python" -m pip --quiet --disable-pip-version-check)
    "${pip[@]}" install --require-hashes --no-deps -r "$here/requirements/$lock.txt" >&2
    # The checkout itself, with the locked setuptools: nothing unpinned is fetched to build it.
    "${pip[@]}" install --no-deps --no-build-isolation -e "$here" >&2
    rm -f "$venv"/.installed-*
    touch "$(stamp_of "$lock")"
fi
