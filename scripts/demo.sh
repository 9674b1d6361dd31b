#!/usr/bin/env bash
# Set up, check the example plans, then run three simulated vendors through their trials.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh

# The demo keeps its own store so that it can be rerun from scratch.
export TRIALS_DATA_DIR="${TRIALS_DATA_DIR:-$PWD/.demo}"
unset TRIALS_DATABASE_URL
rm -f "$TRIALS_DATA_DIR"/trials.db "$TRIALS_DATA_DIR"/trials.db-wal "$TRIALS_DATA_DIR"/trials.db-shm
rm -rf "$TRIALS_DATA_DIR"/archive
export PREFECT_SERVER_ANALYTICS_ENABLED=false

.venv/bin/trials validate examples/*.yaml
.venv/bin/trials demo
.venv/bin/trials list
