# Sourced by scripts/test: the browser tests drive Debian's chromium through Playwright
# (Playwright's own browser download needs hosts a build machine may not reach). Installs it
# when it is missing and we may (root, or sudo without a password); otherwise says so, and the
# browser tests skip with that reason (outside CI; in CI they fail).
CHROMIUM="${MEMORY_API_CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM" ] && command -v apt-get >/dev/null 2>&1; then
  as_root=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then as_root="sudo -n"; fi
  fi
  if [ "$(id -u)" = 0 ] || [ -n "$as_root" ]; then
    echo "==> installing chromium (apt-get) for the browser tests" >&2
    $as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    $as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
  else
    echo "==> no $CHROMIUM and no root or sudo to install it: browser tests will skip" >&2
  fi
fi
