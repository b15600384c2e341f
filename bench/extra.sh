#!/usr/bin/env bash
# Invitations and the two-node relay, measured on the real server (Release, its own processes):
#
#   1. Invitations, one node in memory and one node on Redis: N callees on Socket.IO (WebSocket) as distinct users,
#      callers POST /v1/invitations over HTTP/1.1 keep-alive at a fixed concurrency; every callee refuses each
#      invitation when its event arrives. Sends per second (201s) at max rate; POST → incomingInvitationReceived
#      p50/p99 at a fixed moderate rate.
#   2. Relay: pairs in their own rooms, one peer on each of two nodes sharing one Redis, next to one node on Redis and
#      one node in memory (same run, same method): msg/s with a window in flight, one-way latency p50/p99 at a fixed rate.
#
# Also prints the CPU of the load generator, of each server node and of redis-server, and the load average.
#
#   bench/extra.sh              full run (about 4–5 minutes); writes "## Invitations" and "## Two-node relay"
#                               into docs/benchmarks.md
#   bench/extra.sh --quick      smoke run (about a minute); docs left alone
#   bench/extra.sh --only invitations|relay   one part (prefixes of invitations-memory, invitations-redis, relay-memory,
#                               relay-redis1, relay-redis2; comma-separated)
#   bench/extra.sh --server-env DOTNET_PerfMapEnabled=1   more environment for the server nodes (diagnostics)
#   bench/extra.sh --no-build   skip dotnet build
#   bench/extra.sh --no-docs    print only
#
# Server nodes and redis-server run pinned to core 0 (taskset -c 0), the load generator (bench/extra/ExtraBench) to
# core 1. Work files (server logs, result.json, the sections) go to a fresh directory under $TMPDIR.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

quick=0
build=1
docs=1
only="invitations,relay"
server_env=""
command_line="bench/extra.sh${*:+ $*}"
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --no-build) build=0 ;;
    --no-docs) docs=0 ;;
    --only) only="$2"; shift ;;
    --only=*) only="${1#*=}" ;;
    --server-env) server_env="$2"; shift ;;
    --server-env=*) server_env="${1#*=}" ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[ "$quick" = 1 ] && docs=0

command -v taskset >/dev/null || { echo "taskset (util-linux) is required" >&2; exit 1; }
redis_server="$(command -v redis-server || true)"
[ -n "$redis_server" ] || { echo "redis-server is required (apt-get install redis-server)" >&2; exit 1; }
if [ "$(nproc)" -lt 2 ]; then
  server_cpus=0; loadgen_cpus=0
  echo "warning: one core: the load generator shares it with the servers" >&2
else
  server_cpus=0; loadgen_cpus=1
fi

server_dll="artifacts/bin/Signaling.Server/release/Signaling.Server.dll"
bench_dll="artifacts/bin/ExtraBench/release/ExtraBench.dll"
if [ "$build" = 1 ]; then
  echo "=== building the server and bench/extra/ExtraBench (Release)" >&2
  dotnet build src/Signaling.Server -c Release -nologo -clp:ErrorsOnly -v:quiet >/dev/null
  dotnet build bench/extra/ExtraBench -c Release -nologo -clp:ErrorsOnly -v:quiet >/dev/null
fi
for f in "$server_dll" "$bench_dll"; do
  [ -e "$f" ] || { echo "missing $f (run without --no-build)" >&2; exit 1; }
done

# Others build in this repository too: run private copies so that a rebuild cannot change the binaries mid-run.
run_dir="$(mktemp -d "${TMPDIR:-/tmp}/extra-bench.XXXXXX")"
cp -r "$(dirname "$server_dll")" "$run_dir/server"
cp -r "$(dirname "$bench_dll")" "$run_dir/bench"
pid_file="$run_dir/children.pid"
: >"$pid_file"

# The load generator stops its children itself; if it dies, stop those still running (by their pids only).
cleanup() {
  while read -r pid; do
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  done <"$pid_file"
}
trap cleanup EXIT

args=(--server-dll "$run_dir/server/Signaling.Server.dll" --redis-server "$redis_server" --work-dir "$run_dir"
      --server-cpus "$server_cpus" --pid-file "$pid_file" --only "$only" --command "$command_line" --server-env "$server_env")
[ "$quick" = 1 ] && args+=(--quick)
echo "=== work files in $run_dir" >&2
timeout 900 taskset -c "$loadgen_cpus" dotnet "$run_dir/bench/ExtraBench.dll" "${args[@]}"

if [ "$docs" = 1 ]; then
  # Only our two sections: each is replaced where it is, or appended at the end; the rest of the file is left as is.
  python3 - "$root/docs/benchmarks.md" "$run_dir" <<'PY'
import os, re, sys
path, run_dir = sys.argv[1], sys.argv[2]
text = open(path, encoding="utf-8").read() if os.path.exists(path) else ""
for heading, name in (("## Invitations", "invitations.md"), ("## Two-node relay", "relay.md")):
    source = os.path.join(run_dir, name)
    if not os.path.exists(source):
        continue
    section = open(source, encoding="utf-8").read().rstrip("\n") + "\n"
    found = re.search(r"^" + re.escape(heading) + r"[ \t]*$", text, flags=re.M)
    if found:
        following = re.search(r"^## ", text[found.end():], flags=re.M)
        end = found.end() + following.start() if following else len(text)
        tail = text[end:]
        text = text[:found.start()] + section + ("\n" + tail if tail else "")
    else:
        text = (text.rstrip("\n") + "\n\n" if text.strip() else "") + section
open(path, "w", encoding="utf-8").write(text)
PY
  echo "=== wrote the '## Invitations' and '## Two-node relay' sections of docs/benchmarks.md" >&2
fi
echo "=== figures: $run_dir/result.json" >&2
