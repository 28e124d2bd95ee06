# Sourced by scripts/serve and scripts/test: creates .venv and installs the project when needed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${MEMORY_API_VENV:-$ROOT/.venv}"
EXTRAS="${1:-}"

PYTHON="${PYTHON:-}"
if [ -z "$PYTHON" ]; then
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      PYTHON="$candidate"; break
    fi
  done
fi
[ -n "$PYTHON" ] || { echo "memory-api: Python 3.11+ is required" >&2; exit 1; }

if [ ! -x "$VENV/bin/python" ]; then
  echo "==> creating virtualenv in $VENV" >&2
  "$PYTHON" -m venv "$VENV"
fi
stamp="$VENV/.install-stamp"
wanted="$(cat "$ROOT/pyproject.toml" "$ROOT/constraints.txt" | sha256sum | cut -c1-16)${EXTRAS:+-$EXTRAS}"
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$wanted" ]; then
  echo "==> installing memory-api${EXTRAS:+[$EXTRAS]} into $VENV" >&2
  "$VENV/bin/python" -m pip install --quiet --upgrade pip 2> >(grep -v "^WARNING: Location" >&2)
  # pip warns about every missing local mirror folder; keep the log readable.
  # constraints.txt: the tested versions of every dependency (scripts/lock refreshes it).
  "$VENV/bin/python" -m pip install --quiet -c "$ROOT/constraints.txt" -e "$ROOT${EXTRAS:+[$EXTRAS]}" \
    2> >(grep -v "^WARNING: Location" >&2)
  echo "$wanted" > "$stamp"
fi
export PATH="$VENV/bin:$PATH"
