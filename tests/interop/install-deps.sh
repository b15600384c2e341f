#!/usr/bin/env bash
# Installs the interop test clients (and the Node reference server) exactly as
# pinned in their package-lock.json files. Optional dependencies are omitted
# (.npmrc: omit=optional) because the old `ws` copies inside socket.io-client 1.x
# crash on a modern native bufferutil.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
(cd "$here" && npm ci --omit=optional --no-audit --no-fund)
(cd "$here/../../bench/reference" && npm ci --no-audit --no-fund)
