#!/usr/bin/env bash
# Runs every test: the .NET suites, then the JavaScript client interop suite against a live server.
# Installs what the tests need when it is missing (npm packages; later redis-server and Chromium).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
config="${CONFIGURATION:-Release}"
results="$root/artifacts/test-results"
rm -rf "$results" && mkdir -p "$results"

log() { printf '\n=== %s\n' "$*"; }

# --- prerequisites -------------------------------------------------------------------------
if [ ! -d tests/interop/node_modules/sio4 ] || [ ! -d bench/reference/node_modules/socket.io ]; then
  log "installing npm packages for the interop tests"
  bash tests/interop/install-deps.sh
fi

if ! command -v redis-server >/dev/null 2>&1; then
  log "installing redis-server"
  if [ "$(id -u)" -eq 0 ]; then apt-get update -qq && apt-get install -y -qq redis-server >/dev/null
  else sudo apt-get update -qq && sudo apt-get install -y -qq redis-server >/dev/null; fi
fi
command -v redis-server >/dev/null || { echo "redis-server is required (apt-get install redis-server)"; exit 1; }

# --- deployment files ----------------------------------------------------------------------
log "docker-compose.yml and Dockerfile"
if ! command -v docker-compose >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then apt-get update -qq && apt-get install -y -qq docker-compose >/dev/null
  else sudo apt-get update -qq && sudo apt-get install -y -qq docker-compose >/dev/null; fi
fi
docker-compose -f docker-compose.yml config -q
docker-compose -f docker-compose.yml --profile cluster config --services | sort | tr '\n' ' ' | grep -q "lb node1 node2 redis server" \
  || { echo "docker-compose.yml: expected services lb node1 node2 redis server"; exit 1; }
publish='dotnet publish src/Signaling.Server -c Release -o'
grep -qF "$publish" Dockerfile && grep -qF "$publish" README.md \
  || { echo "Dockerfile and README must build with: $publish"; exit 1; }
echo "compose and Dockerfile checks passed"

# --- .NET tests ----------------------------------------------------------------------------
log "building"
dotnet build Signaling.sln -c "$config" -nologo -clp:ErrorsOnly

log ".NET tests"
dotnet_status=0
dotnet test Signaling.sln -c "$config" --no-build -nologo \
  --logger "trx" --results-directory "$results" 2>&1 | tee "$results/dotnet.log" || dotnet_status=$?

# --- interop with the real socket.io clients -----------------------------------------------
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT

# Runs tests/interop against a fresh server; extra environment (e.g. Redis) comes as arguments.
run_interop() {
  local name="$1"; shift
  local port server_log server_pid status=0
  port=$(free_port)
  server_log="$results/interop-$name-server.log"
  env ASPNETCORE_ENVIRONMENT=Production Auth__ApiKeys__0="interop-$RANDOM$RANDOM" "$@" \
    dotnet "artifacts/bin/Signaling.Server/${config,,}/Signaling.Server.dll" --urls "http://127.0.0.1:$port" >"$server_log" 2>&1 &
  server_pid=$!
  pids+=("$server_pid")
  for _ in $(seq 1 150); do
    curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && break
    sleep 0.1
  done
  (cd tests/interop && SIGNALING_URL="http://127.0.0.1:$port" node --test --test-concurrency=1 test/seed.test.js test/mixed.test.js) \
    2>&1 | tee "$results/interop-$name.log" || status=$?
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  if grep -E "Unhandled|\bFTL\b|\bERR\b" "$server_log" >/dev/null; then
    echo "the server logged errors during the $name interop run:"; grep -E -A5 "Unhandled|FTL|ERR" "$server_log" | head -40
    status=1
  fi
  return $status
}

log "interop: socket.io-client 1.x, 2.x, 4.x against a live server (state in memory)"
interop_status=0
run_interop memory || interop_status=$?

log "interop: the same against a server with its state in Redis"
redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no >"$results/redis.log" 2>&1 &
pids+=("$!")
for _ in $(seq 1 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
run_interop redis Redis__Configuration="127.0.0.1:$redis_port" || interop_status=$?
cat "$results"/interop-memory.log "$results"/interop-redis.log > "$results/interop.log"

# --- a real WebRTC call in headless Chromium ----------------------------------------------
log "end-to-end: web call page in Chromium"
e2e_status=0
bash tests/e2e/run.sh 2>&1 | tee "$results/e2e.log" || e2e_status=$?

# --- summary -------------------------------------------------------------------------------
dotnet_passed=$(grep -Eo 'Passed: +[0-9]+' "$results/dotnet.log" | awk '{s+=$2} END {print s+0}')
dotnet_failed=$(grep -Eo 'Failed: +[0-9]+' "$results/dotnet.log" | awk '{s+=$2} END {print s+0}')
interop_passed=$(grep -Eo '^# pass [0-9]+' "$results/interop.log" | awk '{s+=$3} END {print s+0}')
interop_failed=$(grep -Eo '^# fail [0-9]+' "$results/interop.log" | awk '{s+=$3} END {print s+0}')
e2e_passed=$(grep -Eo '^# pass [0-9]+' "$results/e2e.log" | awk '{s+=$3} END {print s+0}')
e2e_failed=$(grep -Eo '^# fail [0-9]+' "$results/e2e.log" | awk '{s+=$3} END {print s+0}')
passed=$((dotnet_passed + interop_passed + e2e_passed))
failed=$((dotnet_failed + interop_failed + e2e_failed))
echo
echo "dotnet: $dotnet_passed passed, $dotnet_failed failed; interop: $interop_passed passed, $interop_failed failed; e2e: $e2e_passed passed, $e2e_failed failed"
echo "$passed passed, $failed failed"
if [ "$dotnet_status" -ne 0 ] || [ "$interop_status" -ne 0 ] || [ "$e2e_status" -ne 0 ] || [ "$e2e_passed" -eq 0 ] || [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then
  exit 1
fi
