#!/usr/bin/env bash
# The README's test command: installs dependencies (unless --no-install) and runs every check and test:
# lint, type-check, build, the compose file in every profile, the Prometheus config and alert rules, the
# entities/migrations agreement check, unit tests, end-to-end tests.
# Tests create their own database per run (and drop it) and claim a Redis database of their own; never the dev one.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

if [ "${1:-}" != "--no-install" ]; then
  step "Installing dependencies (npm ci: exactly package-lock.json, dev dependencies included)"
  install_deps
fi

step "Checking PostgreSQL and Redis; Chromium, Nginx, Prometheus and docker-compose"
node scripts/check-services.js
bash scripts/system-deps.sh

step "Lint"
npm run -s lint
step "Architecture: layer order, no import cycles, no SQL outside repositories"
npm run -s check:architecture
step "The README's configuration table names every variable the code reads"
node scripts/check-config-docs.js
step "Type-check"
npx tsc -p tsconfig.json --noEmit
step "Build"
npm run build --silent

step "docker-compose.yml is valid (default, dev and monitoring profiles)"
# Without JWT_SECRET and without .env on purpose: the databases-only command must work before .env exists.
empty_env="$(mktemp)"
trap 'rm -f "$empty_env"' EXIT
for profiles in "" "--profile dev" "--profile monitoring" "--profile dev --profile monitoring"; do
  # shellcheck disable=SC2086 # the profile flags are meant to split
  (unset JWT_SECRET && compose --env-file "$empty_env" -f docker-compose.yml $profiles config -q)
done
echo "ok"

step "Prometheus config and alert rules"
promtool check config ops/prometheus/prometheus.yml >/dev/null # also checks the rule files it names
promtool test rules ops/prometheus/alerts.test.yml
echo "ok"

step "Entities and migrations agree"
base="${DATABASE_URL:-postgres://postgres:postgres@localhost:5432/messenger}"
check_db="messenger_migcheck_$$"
check_url="${base%/*}/${check_db}"
cleanup_db() {
  rm -f "$empty_env"
  node -e "
  const { Client } = require('pg'); const u = new URL(process.argv[1]); u.pathname = '/postgres';
  const c = new Client({ connectionString: u.toString() });
  c.connect().then(() => c.query('DROP DATABASE IF EXISTS \"' + process.argv[2] + '\" WITH (FORCE)')).finally(() => c.end());
" "$base" "$check_db"
}
trap cleanup_db EXIT
DATABASE_URL="$check_url" node dist/cli/prepare-db.js >/dev/null
DATABASE_URL="$check_url" npm run --silent migration:check
DATABASE_URL="$check_url" npm run --silent migration:revert >/dev/null
DATABASE_URL="$check_url" node dist/cli/prepare-db.js >/dev/null
echo "migrations revert and re-apply cleanly"

step "Unit and end-to-end tests"
# A connection left open after a suite would keep Jest alive forever; the time limit turns that into a failure.
timeout 1200 npx jest --runInBand

step "Fault tests: real processes killed, stopped and paused, on a PostgreSQL and a Redis of their own"
timeout 600 npx jest --selectProjects faults --runInBand
