#!/usr/bin/env bash
# Install medguide with its test tools into .venv and run every check CI runs.
#
# The journal tests run on SQLite and on PostgreSQL. PostgreSQL is the local server
# (MEDGUIDE_TEST_POSTGRES_URL, default below); it is started if it is not answering. In CI
# (CI=true) a server that cannot be reached fails the run; elsewhere its tests are reported
# as skipped, with the reason, never dropped silently.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'
# The browser tests drive Debian's chromium (Playwright cannot download its own browser here).
if [ ! -x /usr/bin/chromium ]; then
    if command -v apt-get >/dev/null; then
        apt-get update -q || echo "warning: apt-get update failed" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium \
            || echo "warning: chromium could not be installed" >&2
    else
        echo "warning: no apt-get, so no chromium; the browser tests will say so" >&2
    fi
fi
.venv/bin/ruff check src tests bench scripts
.venv/bin/ruff format --check src tests bench scripts
.venv/bin/mypy src/medguide

export MEDGUIDE_TEST_POSTGRES_URL="${MEDGUIDE_TEST_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}"
pg_up() { command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1; }
if ! pg_up; then
    if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
        for version in $(ls /etc/postgresql); do
            pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
        done
        for _ in $(seq 1 20); do pg_up && break; sleep 0.5; done
    fi
fi
if ! pg_up; then
    if [ "${CI:-}" = "true" ]; then
        echo "error: PostgreSQL is not reachable at 127.0.0.1; the journal must be tested on it in CI" >&2
        exit 1
    fi
    echo "warning: PostgreSQL is not reachable; its journal tests will be reported as skipped" >&2
    unset MEDGUIDE_TEST_POSTGRES_URL
fi
.venv/bin/pytest -q -rs --cov --cov-report=term "$@"
