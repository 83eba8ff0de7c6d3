#!/usr/bin/env bash
# The README's test command: installs dependencies (unless --no-install) and runs every check and test:
# lint, type-check, build, the entities/migrations agreement check, unit tests, end-to-end tests.
# Tests create their own database per run (and drop it) and claim a Redis database of their own; never the dev one.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" != "--no-install" ]; then
  echo "==> Installing dependencies"
  # Not `npm ci`: its strict lock check wants every platform build of optional packages (msgpackr-extract,
  # via Bull), which the registry this project installs from does not all carry. `npm install` installs
  # exactly the locked versions too and leaves the lockfile unchanged.
  npm install --no-audit --no-fund --loglevel=error
fi

echo "==> Checking PostgreSQL and Redis; Chromium, Nginx and docker-compose"
node scripts/check-services.js
bash scripts/system-deps.sh

echo "==> Lint"
npx eslint "{src,test,migrations}/**/*.ts"
echo "==> Architecture: layer order, no import cycles, no SQL outside repositories"
npm run -s check:architecture
echo "==> Type-check"
npx tsc -p tsconfig.json --noEmit
echo "==> Build"
npm run build --silent

echo "==> docker-compose.yml is valid"
compose() { if command -v docker-compose >/dev/null 2>&1; then docker-compose "$@"; else docker compose "$@"; fi; }
# Without JWT_SECRET on purpose: `docker compose up -d postgres redis` must work before .env exists.
env -u JWT_SECRET bash -c "$(declare -f compose); compose -f docker-compose.yml config -q"
echo "ok"

echo "==> Entities and migrations agree"
base="${DATABASE_URL:-postgres://postgres:postgres@localhost:5432/messenger}"
check_db="messenger_migcheck_$$"
check_url="${base%/*}/${check_db}"
cleanup_db() { node -e "
  const { Client } = require('pg'); const u = new URL(process.argv[1]); u.pathname = '/postgres';
  const c = new Client({ connectionString: u.toString() });
  c.connect().then(() => c.query('DROP DATABASE IF EXISTS \"' + process.argv[2] + '\" WITH (FORCE)')).finally(() => c.end());
" "$base" "$check_db"; }
trap cleanup_db EXIT
DATABASE_URL="$check_url" node dist/cli/prepare-db.js >/dev/null
DATABASE_URL="$check_url" npm run --silent migration:check
DATABASE_URL="$check_url" npm run --silent migration:revert >/dev/null
DATABASE_URL="$check_url" node dist/cli/prepare-db.js >/dev/null
echo "migrations revert and re-apply cleanly"

echo "==> Unit and end-to-end tests"
# A connection left open after a suite would keep Jest alive forever; the time limit turns that into a failure.
timeout 900 npx jest --runInBand
