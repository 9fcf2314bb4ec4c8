#!/usr/bin/env bash
# Create the project virtualenv (.venv) and install worldbuilder with its dev tools.
# Works on a bare Debian 12 machine as root; does nothing when already up to date.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PY=${PYTHON:-python3}
EXTRAS=${EXTRAS:-dev}  # e.g. EXTRAS=dev,vm (make test: libvirt-python, after ensure-engine.sh vm)
stamp="$VENV/.installed"
[ "$EXTRAS" = dev ] || stamp="$VENV/.installed-${EXTRAS//,/_}"
if [ -f "$stamp" ] && [ "$stamp" -nt pyproject.toml ]; then exit 0; fi
if ! "$PY" -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null; then
  echo "error: Python >= 3.11 is required ($PY)" >&2; exit 1
fi
if [ ! -x "$VENV/bin/python" ]; then
  if ! "$PY" -m venv "$VENV" 2>/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
      rm -rf "$VENV"; "$PY" -m venv "$VENV"
    else
      echo "error: cannot create a virtualenv; install python3-venv" >&2; exit 1
    fi
  fi
fi
"$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null
"$VENV/bin/python" -m pip install -q -e ".[$EXTRAS]"
touch "$stamp"
