#!/usr/bin/env bash
# Starts the Node reference server (bench/reference) on a free loopback port,
# runs the whole interop suite against it, and stops the server again.
# Extra arguments are passed to `node --test` (e.g. --test-name-pattern=...).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
ref="$here/../../bench/reference"
[ -d "$here/node_modules" ] && [ -d "$ref/node_modules" ] || bash "$here/install-deps.sh"

port="${PORT:-$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')}"
log="$(mktemp)"
node "$ref/server.js" --port "$port" >"$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -f "$log"' EXIT

url="http://127.0.0.1:$port"
node -e '
  const url = process.argv[1] + "/health";
  const until = Date.now() + 10000;
  (function poll() {
    fetch(url).then((r) => process.exit(r.ok ? 0 : 1)).catch(() => {
      if (Date.now() > until) { console.error("reference server did not start"); process.exit(1); }
      setTimeout(poll, 100);
    });
  })();' "$url" || { cat "$log"; exit 1; }

cd "$here"
SIGNALING_URL="$url" node --test --test-concurrency=1 "$@" test/seed.test.js test/mixed.test.js
