#!/usr/bin/env bash
# Harbor (PyPI `harbor`) needs Python >= 3.12 while worldbuilder runs on 3.11: make .venv-harbor with the first
# python3.13/3.12 found (PATH, then pyenv) and install harbor there. Tests use it only to load exported Harbor
# task directories with harbor's own task model. Without such a Python it says so and those tests skip.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${HARBOR_VENV:-.venv-harbor}
VERSION=${HARBOR_VERSION:-0.25.0}
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import harbor.models.task.task" 2>/dev/null; then exit 0; fi
PY=""
for c in python3.13 python3.12 "$HOME"/.pyenv/versions/3.13*/bin/python3 "$HOME"/.pyenv/versions/3.12*/bin/python3; do
  if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; assert sys.version_info >= (3, 12)' 2>/dev/null; then
    PY=$c; break
  fi
done
if [ -z "$PY" ]; then
  echo "note: no Python >= 3.12 found; Harbor task-model validation tests will be skipped" >&2; exit 0
fi
rm -rf "$VENV"
"$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q "harbor==$VERSION"
