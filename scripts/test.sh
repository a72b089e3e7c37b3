#!/usr/bin/env bash
# Install medguide with its test tools into .venv and run every check CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'
.venv/bin/ruff check src tests bench scripts
.venv/bin/ruff format --check src tests bench scripts
.venv/bin/mypy src/medguide
.venv/bin/pytest -q --cov --cov-report=term "$@"
