#!/usr/bin/env bash
# Set up, then lint, type-check, and run every test on SQLite and the store's tests on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh

# The PostgreSQL run creates a throwaway database on this server and drops it after.
export TRIALS_TEST_DATABASE_URL="${TRIALS_TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/postgres}"
export PREFECT_SERVER_ANALYTICS_ENABLED=false

pg_reachable() {
  .venv/bin/python - <<'PY'
import os, sys
import sqlalchemy
url = os.environ["TRIALS_TEST_DATABASE_URL"]
try:
    sqlalchemy.create_engine(url, connect_args={"connect_timeout": 5}).connect().close()
except Exception as exc:
    sys.exit(f"PostgreSQL is not reachable at {url}: {exc}\n"
             "Start it (e.g. `pg_ctlcluster 15 main start`) or set TRIALS_TEST_DATABASE_URL.")
PY
}
if ! pg_reachable 2>/dev/null; then
  # A local cluster that is installed but stopped is started; anything else is reported.
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  fi
  pg_reachable || exit 1
fi

# The browser test drives Debian's chromium, headless.
if ! command -v chromium >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q chromium >/dev/null || { apt-get update -q && apt-get install -y -q chromium >/dev/null; }
  else
    echo "The browser test needs Chromium: install Debian's package (sudo apt-get install chromium)." >&2
    exit 1
  fi
fi

# The Redmine adapter's tests (marker `redmine`) serve Debian's Redmine with WEBrick.
if ! dpkg-query -W -f '${Status}' redmine 2>/dev/null | grep -q 'install ok installed' ||
  ! grep -qs '^gem "webrick"' /usr/share/redmine/Gemfile.local; then
  ./scripts/redmine.sh install
fi

.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy

# Two test processes: most of a test's time is spent waiting on servers, workers and
# simulated vendors, and the tests of one module stay in one process (their shared
# servers are started once). TRIALS_TEST_JOBS=0 runs them in this process.
jobs=(-n "${TRIALS_TEST_JOBS:-2}" --dist loadscope)

echo "== pytest on SQLite: every test"
TRIALS_TEST_DATABASE_URL= .venv/bin/pytest -q "${jobs[@]}" --durations=15 "$@"
# Again on PostgreSQL: every test of the store, the rules and the flows in-process, and the
# end-to-end tests where the database matters (kills mid-write, two workers writing at once).
# The other end-to-end tests (browser, notifications, triggers) drive Prefect, not the store.
echo "== pytest on PostgreSQL: the tests that use the store"
.venv/bin/pytest -q "${jobs[@]}" -m "store and (not e2e or postgres)" --durations=15 "$@"
