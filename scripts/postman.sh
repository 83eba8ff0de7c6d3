#!/usr/bin/env bash
# `npm run postman`: runs the Postman collection (postman/) with newman against a running instance,
# BASE_URL (default http://localhost:$PORT, i.e. ./scripts/dev.sh's; http://localhost for Docker).
# Extra arguments go to newman, e.g. `npm run postman -- --reporters cli,json --reporter-json-export out.json`.
set -euo pipefail
cd "$(dirname "$0")/.."
base="${BASE_URL:-http://localhost:${PORT:-3000}}"
base="${base%/}"
if ! curl -fsS --max-time 5 -o /dev/null "$base/api/health" 2>/dev/null; then
  echo "Nothing answers $base/api/health: start the app (./scripts/dev.sh, or docker compose up) or set BASE_URL." >&2
  exit 1
fi
exec node_modules/.bin/newman run postman/messenger.postman_collection.json \
  --environment postman/messenger.postman_environment.json \
  --env-var "baseUrl=$base" "$@"
