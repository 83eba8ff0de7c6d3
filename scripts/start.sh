#!/usr/bin/env bash
# Starts one process from the built code: `start.sh api` (prepares the database first) or `start.sh worker`.
# The Docker image runs exactly this script; so do scripts/dev.sh and CI's Nginx end-to-end check.
set -euo pipefail
cd "$(dirname "$0")/.."
role="${1:-api}"
case "$role" in
  api)
    node dist/cli/prepare-db.js
    # A larger young generation: far fewer major GCs, the p99 tail (test/bench/run.ts mirrors these flags).
    exec node --max-semi-space-size=64 dist/main.js
    ;;
  worker)
    exec node dist/worker.js
    ;;
  *)
    echo "usage: $0 api|worker" >&2
    exit 2
    ;;
esac
