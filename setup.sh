#!/usr/bin/env bash
# Set up on Debian or Ubuntu: the system packages in system-packages.txt (when missing), a virtualenv in
# .venv, and the project in it. With --test: also Chromium and PostgreSQL for the browser and storage tests
# (system-packages-test.txt), and an editable install with the test tools.
set -euo pipefail
cd "$(dirname "$0")"

lists=(system-packages.txt)
if [ "${1:-}" = "--test" ]; then
  lists+=(system-packages-test.txt)
fi
missing=$(cat "${lists[@]}" | while read -r pkg; do dpkg -s "$pkg" >/dev/null 2>&1 || echo "$pkg"; done)
if [ -n "$missing" ]; then
  if [ "$(id -u)" -eq 0 ]; then
    as_root=()
  elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
  else
    echo "setup: please install these Debian packages as root, then run setup again:" $missing >&2
    exit 1
  fi
  echo "setup: installing" $missing
  "${as_root[@]}" apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends $missing
fi

python3 -m venv .venv
.venv/bin/pip install --quiet --upgrade pip
if [ "${1:-}" = "--test" ]; then
  .venv/bin/pip install --quiet -e '.[test]'
else
  .venv/bin/pip install --quiet .
fi
echo "setup: ready (.venv)"
