# Shared by scripts/dev.sh and scripts/test.sh (sourced, not run).

step() { echo "==> $*"; }

# Docker Compose v2 (`docker compose`, a CLI plugin) or v1 (`docker-compose`), whichever is installed.
compose() {
  if docker compose version >/dev/null 2>&1; then
    docker compose "$@"
  elif command -v docker-compose >/dev/null 2>&1; then
    docker-compose "$@"
  else
    echo "Neither 'docker compose' (v2) nor 'docker-compose' (v1) is installed" >&2
    return 127
  fi
}

have_compose() { docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null 2>&1; }
have_docker_engine() { command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1 && have_compose; }

# Reads KEY=VALUE lines from an env file into the environment. A variable already set in the environment
# wins, as with docker compose and dotenv, so `PORT=3100 ./scripts/dev.sh` beats PORT in .env.
load_env_file() {
  local file="$1" line key value
  [ -f "$file" ] || return 0
  while IFS= read -r line || [ -n "$line" ]; do
    line="${line%$'\r'}"
    [[ $line =~ ^[[:space:]]*(export[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] || continue
    key="${BASH_REMATCH[2]}"
    value="${BASH_REMATCH[3]}"
    # Quoted values keep their content verbatim; unquoted ones lose a trailing " # comment" and blanks.
    if [[ $value =~ ^\"(.*)\"[[:space:]]*$ ]] || [[ $value =~ ^\'(.*)\'[[:space:]]*$ ]]; then
      value="${BASH_REMATCH[1]}"
    else
      value="${value%%[[:space:]]#*}"
      value="${value%"${value##*[![:space:]]}"}"
    fi
    [ -n "${!key+x}" ] || export "$key=$value"
  done <"$file"
}

# True when something already listens on the TCP port (on any address), the way the API will bind it.
port_in_use() {
  node -e '
    const srv = require("net").createServer();
    srv.once("error", (e) => process.exit(e.code === "EADDRINUSE" ? 0 : 2));
    srv.listen(Number(process.argv[1]), () => srv.close(() => process.exit(1)));
  ' "$1"
}

# The lockfile's hash, recorded after a successful install: node_modules is current while it matches.
lock_stamp() { sha256sum package-lock.json | cut -d' ' -f1; }
STAMP_FILE=node_modules/.messenger-lock-sha256

deps_current() {
  [ -f "$STAMP_FILE" ] && [ "$(cat "$STAMP_FILE")" = "$(lock_stamp)" ] &&
    # A later `npm install --omit=dev` (or NODE_ENV=production) would have pruned the build tools.
    [ -x node_modules/.bin/nest ] && [ -x node_modules/.bin/tsc ]
}

# The locked versions, dev dependencies included whatever NODE_ENV says: building needs them.
install_deps() {
  npm ci --include=dev --no-audit --no-fund --loglevel=error
  lock_stamp >"$STAMP_FILE"
}
