# Sourced by scripts/serve and scripts/test: creates .venv and installs the project when needed.
# One stamp for both: the project is installed once; extras (dev) are added on top of it, so
# alternating between the scripts installs nothing.
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

_pip() {
  # pip warns about every missing local mirror folder; keep the log readable.
  "$VENV/bin/python" -m pip "$@" 2> >(grep -v "^WARNING: Location" >&2)
}

# The stamp: "<hash of pyproject.toml + constraints.txt> [extra ...]", the extras installed on
# top of that exact install. A new hash reinstalls the project; its extras are then added again.
stamp="$VENV/.install-stamp"
wanted="$(cat "$ROOT/pyproject.toml" "$ROOT/constraints.txt" | sha256sum | cut -c1-16)"
installed="" have_extras=""
if [ -f "$stamp" ]; then read -r installed have_extras < "$stamp" || true; fi
if [ "$installed" != "$wanted" ]; then
  echo "==> installing memory-api into $VENV" >&2
  _pip install --quiet --upgrade pip
  # constraints.txt: the tested versions of every dependency (scripts/lock refreshes it).
  _pip install --quiet -c "$ROOT/constraints.txt" -e "$ROOT"
  have_extras=""
  echo "$wanted" > "$stamp"
fi
for extra in $EXTRAS; do
  case " $have_extras " in *" $extra "*) continue ;; esac
  echo "==> adding memory-api[$extra] into $VENV" >&2
  # The extra's own requirements only: installing ".[extra]" would reinstall the project.
  mapfile -t requirements < <("$VENV/bin/python" -c 'import sys, tomllib
project = tomllib.load(open(sys.argv[1], "rb"))["project"]
print("\n".join(project["optional-dependencies"][sys.argv[2]]))' "$ROOT/pyproject.toml" "$extra")
  _pip install --quiet -c "$ROOT/constraints.txt" "${requirements[@]}"
  have_extras="${have_extras:+$have_extras }$extra"
  echo "$wanted $have_extras" > "$stamp"
done
export PATH="$VENV/bin:$PATH"
