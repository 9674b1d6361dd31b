#!/usr/bin/env bash
# Set up, then check the example plans, store them as draft trials, and list them.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh

# The demo keeps its own store so that it can be rerun from scratch.
export TRIALS_DATA_DIR="${TRIALS_DATA_DIR:-$PWD/.demo}"
unset TRIALS_DATABASE_URL
rm -f "$TRIALS_DATA_DIR"/trials.db "$TRIALS_DATA_DIR"/trials.db-wal "$TRIALS_DATA_DIR"/trials.db-shm

.venv/bin/trials validate examples/*.yaml
for plan in examples/*.yaml; do
  .venv/bin/trials create "$plan"
done
.venv/bin/trials list
