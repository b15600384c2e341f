#!/usr/bin/env bash
# End-to-end test of the web call page in two real Chromium browsers (Debian's chromium, driven by playwright-core):
# a connected call with video both ways and a hang-up, a refused call, a cancelled call.
# Installs what it needs when missing: the chromium Debian package, this folder's npm packages and the web demo's
# socket.io client. Builds and starts the server (Development, so the page is served and X-User-Id names users) on a
# free 127.0.0.1 port, runs the test with node's test runner, stops the server. Screenshots and logs: tests/e2e/artifacts.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
config="${CONFIGURATION:-Release}"
chromium="${CHROMIUM:-/usr/bin/chromium}"
out="$here/artifacts"

log() { printf '\n=== %s\n' "$*"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# --- (a) prerequisites ---------------------------------------------------------------------
if [ ! -x "$chromium" ]; then
  log "installing chromium (Debian package)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
[ -x "$chromium" ] || { echo "Chromium is required at $chromium: apt-get install chromium (or set CHROMIUM)"; exit 1; }

if [ ! -d "$here/node_modules/playwright-core" ]; then
  log "installing npm packages for the e2e test"
  (cd "$here" && npm ci --no-audit --no-fund)
fi

demo="src/Signaling.Server/WebDemo"
if [ ! -f src/Signaling.Server/wwwroot/lib/socket.io.min.js ]; then
  log "installing the web demo's socket.io client"
  if [ -d "$demo/node_modules/socket.io-client" ]; then
    node "$demo/copy-client.mjs"
  else
    (cd "$demo" && npm ci --no-audit --no-fund)
  fi
fi

# --- (b) build and start the server --------------------------------------------------------
log "building the server ($config)"
dotnet build src/Signaling.Server -c "$config" -nologo -clp:ErrorsOnly

rm -rf "$out" && mkdir -p "$out"
port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
url="http://127.0.0.1:$port"
server_log="$out/server.log"
ASPNETCORE_ENVIRONMENT=Development dotnet "artifacts/bin/Signaling.Server/${config,,}/Signaling.Server.dll" \
  --urls "$url" >"$server_log" 2>&1 &
server_pid=$!
stop_server() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
}
trap stop_server EXIT

for _ in $(seq 1 300); do
  curl -fs "$url/health/ready" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { echo "the server exited:"; cat "$server_log"; exit 1; }
  sleep 0.1
done
curl -fs "$url/health/ready" >/dev/null || { echo "the server was not ready after 30 s:"; tail -50 "$server_log"; exit 1; }

# --- (c) the test --------------------------------------------------------------------------
log "e2e: two Chromium browsers against $url"
status=0
(cd "$here" && SIGNALING_URL="$url" CHROMIUM="$chromium" \
  node --test --test-reporter=tap --test-concurrency=1 --test-timeout=120000 call.test.js) 2>&1 | tee "$out/e2e.log" || status=$?

# --- (d) stop the server -------------------------------------------------------------------
# Errors logged while the test ran fail it; shutdown is the business of other tests.
during="$(cat "$server_log")"
stop_server
trap - EXIT
if grep -E "Unhandled|\bFTL\b|\bERR\b" <<<"$during" >/dev/null; then
  echo "the server logged errors during the e2e run (see $server_log):"
  grep -E "Unhandled|FTL|ERR" <<<"$during" | head -20
  status=1
fi
echo "screenshots and logs: $out"
exit "$status"
