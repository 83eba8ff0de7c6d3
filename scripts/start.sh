#!/usr/bin/env bash
# Starts one process from the built code: `start.sh api` (prepares the database first, then seeds the demo
# data when SEED_DEMO=true) or `start.sh worker`. The Docker image runs exactly this script; so does CI's
# Nginx end-to-end check. Needs only dist/, node_modules/ and package.json (no src/, no dev dependencies).
set -euo pipefail
cd "$(dirname "$0")/.."
role="${1:-api}"
seed="${SEED_DEMO:-false}"
case "$seed" in true | false) ;; *)
  echo "SEED_DEMO must be true or false, got \"$seed\"" >&2
  exit 2
  ;;
esac
case "$role" in
  api)
    node dist/cli/prepare-db.js
    # Idempotent, and safe when several instances start at once.
    [ "$seed" = true ] && node dist/cli/seed.js
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
