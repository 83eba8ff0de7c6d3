#!/usr/bin/env bash
# The README's run command: installs dependencies when node_modules is missing or older than the lockfile,
# makes sure PostgreSQL and Redis are there, builds, creates and migrates the database, seeds demo data
# (SEED_DEMO, default true here), and runs the API (which also serves the web client) and the worker until
# Ctrl-C. The banner appears only once the API answers /api/health and the worker is up; if either fails
# to start, it says which and exits non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

load_env_file .env
export PORT="${PORT:-3000}"
export METRICS_PORT="${METRICS_PORT:-9464}"
# Links in Telegram notifications point at this process, unless PUBLIC_URL says otherwise.
export PUBLIC_URL="${PUBLIC_URL:-http://localhost:${PORT}}"
export SEED_DEMO="${SEED_DEMO:-true}"
case "$SEED_DEMO" in true | false) ;; *)
  echo "SEED_DEMO must be true or false, got \"$SEED_DEMO\"" >&2
  exit 1
  ;;
esac

# Before the slow steps: a port that is taken now would only fail after the build.
for var in PORT METRICS_PORT; do
  if port_in_use "${!var}"; then
    echo "Port ${!var} ($var) is already in use: stop what listens there, or set $var (e.g. $var=$((${!var} + 100)) ./scripts/dev.sh)." >&2
    exit 1
  fi
done

if deps_current; then
  step "Dependencies are up to date with package-lock.json"
else
  step "Installing dependencies (npm ci, including the build tools)"
  install_deps
fi

step "Checking PostgreSQL and Redis"
if ! node scripts/check-services.js; then
  if have_docker_engine; then
    step "Starting PostgreSQL and Redis with Docker (compose --profile dev up -d postgres-dev redis-dev)"
    compose --profile dev up -d postgres-dev redis-dev
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

step "Building"
npm run build --silent

step "Preparing the database"
node dist/cli/prepare-db.js
if [ "$SEED_DEMO" = true ]; then
  step "Seeding demo data (SEED_DEMO=true)"
  node dist/cli/seed.js
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/messenger-dev.XXXXXX")"
api_pid=""
worker_pid=""
stop_all() {
  local pid
  for pid in $api_pid $worker_pid; do kill -TERM "$pid" 2>/dev/null || true; done
  # Both drain on SIGTERM (SHUTDOWN_DRAIN_MS); whatever is still there well after that is killed.
  local deadline=$((SECONDS + ${SHUTDOWN_DRAIN_MS:-10000} / 1000 + 10))
  for pid in $api_pid $worker_pid; do
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap stop_all EXIT
trap 'echo; step "Stopping"; exit 130' INT
trap 'step "Stopping"; exit 143' TERM HUP

step "Starting the worker and the API"
# Each in a process group of its own (set -m), so Ctrl-C reaches only this script, which stops them once,
# in order, with SIGTERM (a second signal would cut their graceful shutdown short).
set -m
# The worker's output also goes to a file, to see its start-up line; tee ignores Ctrl-C so that the
# worker's last log lines still have somewhere to go.
node dist/worker.js > >(trap '' INT && exec tee "$work/worker.log") 2>&1 &
worker_pid=$!
node dist/main.js &
api_pid=$!
set +m

# The worker is up when its metrics endpoint answers, or (builds without one) once it logs "Worker started".
worker_metrics=false
worker_ready() {
  if curl -fsS --max-time 2 -o /dev/null "http://127.0.0.1:${METRICS_PORT}/metrics" 2>/dev/null; then
    worker_metrics=true
  else
    grep -q 'Worker started' "$work/worker.log" 2>/dev/null
  fi
}
api_ready() { curl -fsS --max-time 2 -o /dev/null "http://127.0.0.1:${PORT}/api/health" 2>/dev/null; }

deadline=$((SECONDS + 90))
api_up=false
worker_up=false
while :; do
  if ! kill -0 "$api_pid" 2>/dev/null; then
    echo "The API exited before it answered http://127.0.0.1:${PORT}/api/health (its log is above; is port ${PORT} taken?)." >&2
    exit 1
  fi
  if ! kill -0 "$worker_pid" 2>/dev/null; then
    echo "The worker exited during start-up (its log is above)." >&2
    exit 1
  fi
  $api_up || { api_ready && api_up=true; } || true
  $worker_up || { worker_ready && worker_up=true; } || true
  $api_up && $worker_up && break
  if [ $SECONDS -ge $deadline ]; then
    $api_up || echo "The API did not answer http://127.0.0.1:${PORT}/api/health in time." >&2
    $worker_up || echo "The worker did not report that it started in time." >&2
    exit 1
  fi
  sleep 0.3
done

docs_line="    Swagger UI   http://localhost:${PORT}/docs"
[ "${DOCS_ENABLED:-true}" = false ] && docs_line="    Swagger UI   off (DOCS_ENABLED=false)"
demo_line="  Demo users: alice / alice-password, bob / bob-password, carol / carol-password"
[ "$SEED_DEMO" = true ] || demo_line="  No demo users (SEED_DEMO=false)"
[ "$SEED_DEMO" = true ] && [ "${NODE_ENV:-}" = production ] &&
  demo_line="$demo_line"$'\n'"  (NODE_ENV=production with demo users: set SEED_DEMO=false for a real deployment)"
worker_line="    Worker       running"
$worker_metrics && worker_line="    Metrics      http://localhost:${PORT}/metrics (API), http://localhost:${METRICS_PORT}/metrics (worker)"
cat <<MSG

  Messenger is running (Ctrl-C stops it)
    Web client   http://localhost:${PORT}/
    REST API     http://localhost:${PORT}/api
${docs_line}
    Socket.IO    http://localhost:${PORT}, path /socket.io
${worker_line}
${demo_line}

MSG

status=0
wait -n "$api_pid" "$worker_pid" || status=$?
if ! kill -0 "$api_pid" 2>/dev/null; then
  echo "The API stopped (exit status $status); stopping the worker." >&2
else
  echo "The worker stopped (exit status $status); stopping the API." >&2
fi
exit 1
