#!/usr/bin/env bash
# The README's run command: installs dependencies, makes sure PostgreSQL and Redis are there, creates and
# migrates the database, seeds demo data, builds, and runs the API (which also serves the web client) and
# the worker until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f .env ] && { set -a; . ./.env; set +a; }
export PORT="${PORT:-3000}"

echo "==> Installing dependencies"
npm install --no-audit --no-fund --loglevel=error

echo "==> Checking PostgreSQL and Redis"
if ! node scripts/check-services.js; then
  if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
    echo "==> Starting PostgreSQL and Redis with Docker (docker compose up -d postgres redis)"
    docker compose up -d postgres redis
    for _ in $(seq 1 60); do node scripts/check-services.js 2>/dev/null && break; sleep 1; done
    node scripts/check-services.js
  else
    cat >&2 <<MSG

Cannot continue: start PostgreSQL and Redis (see above), or install Docker so this script can start them,
or point DATABASE_URL / REDIS_URL at running servers (e.g. in .env).
MSG
    exit 1
  fi
fi

echo "==> Building"
npm run build --silent

echo "==> Preparing the database and seeding demo data"
node dist/cli/prepare-db.js
node dist/cli/seed.js

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

bash scripts/start.sh worker & pids+=($!)
node dist/main.js & pids+=($!)

for _ in $(seq 1 60); do
  curl -fsS "http://localhost:${PORT}/api/health" >/dev/null 2>&1 && break
  sleep 0.5
done
cat <<MSG

  Messenger is running (Ctrl-C stops it)
    Web client   http://localhost:${PORT}/
    REST API     http://localhost:${PORT}/api
    Swagger UI   http://localhost:${PORT}/docs
    Socket.IO    http://localhost:${PORT}/socket.io
  Demo users: alice / alice-password, bob / bob-password, carol / carol-password

MSG
wait -n "${pids[@]}"
