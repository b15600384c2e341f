#!/usr/bin/env bash
# Measures our Socket.IO relay (src/Signaling.Server) next to the Node reference (bench/reference), run the same way:
# each server pinned to core 0, restarted for every scenario, the load generator (bench/LoadGen) pinned to core 1.
#
#   bench/run.sh                      full run (10-12 minutes, mostly warm-up)
#   bench/run.sh --quick              smoke run, a few seconds per scenario
#   bench/run.sh --only throughput,latency      scenarios: throughput latency calls memory connect
#   bench/run.sh --servers ours       only one server (ours | node)
#   bench/run.sh --set rate=3000      override a load generator setting (see bench/README.md)
#   bench/run.sh --runs 3             measure every scenario 3 times, the servers interleaved, and compare medians
#                                     (default: latency 5 times, the others once)
#   bench/run.sh --no-build           skip npm ci / dotnet build
#   bench/run.sh --rev HEAD           measure a committed revision (built in a temporary copy) instead of the work tree
#   bench/run.sh --no-wait            do not wait for the machine to be idle (default: up to 60 s
#                                     before a scenario, 180 s in all)
#
# Prints the comparison table; raw results go to bench/results/<time>/ and bench/results/latest.json.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

all_scenarios="throughput,latency,calls,memory,connect"
quick=0
only="$all_scenarios"
servers="ours,node"
build=1
rev=""
quiet_wait=180
noise_retries=6
runs=""
sets=()
command_line="bench/run.sh${*:+ $*}"
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --only) only="$2"; shift ;;
    --only=*) only="${1#*=}" ;;
    --servers) servers="$2"; shift ;;
    --servers=*) servers="${1#*=}" ;;
    --set) sets+=(--set "$2"); shift ;;
    --set=*) sets+=(--set "${1#*=}") ;;
    --no-build) build=0 ;;
    --rev) rev="$2"; shift ;;
    --rev=*) rev="${1#*=}" ;;
    --runs) runs="$2"; shift ;;
    --runs=*) runs="${1#*=}" ;;
    --no-wait) quiet_wait=0 ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
if [ -n "$runs" ] && ! [[ "$runs" =~ ^[1-9][0-9]?$ ]]; then echo "--runs takes a number from 1 to 99" >&2; exit 2; fi
# p99 at a fixed low rate is a tail figure of a mostly idle server: on a shared machine it moves by 2x or more between
# back-to-back runs of the same server, so by default it is measured five times and the medians are compared.
runs_of() {
  if [ -n "$runs" ]; then echo "$runs"; elif [ "$1" = latency ] && [ "$quick" = 0 ]; then echo 5; else echo 1; fi
}
for s in ${only//,/ }; do
  case ",$all_scenarios," in *",$s,"*) ;; *) echo "unknown scenario: $s (one of $all_scenarios)" >&2; exit 2 ;; esac
done

log() { printf '\n=== %s\n' "$*" >&2; }

# --- machine -------------------------------------------------------------------------------
cores=$(nproc --all)
if [ "$cores" -lt 2 ]; then
  echo "needs 2 cores (server on core 0, load generator on core 1); this machine has $cores" >&2
  exit 1
fi
command -v taskset >/dev/null || { echo "taskset (util-linux) is required" >&2; exit 1; }
# 10k idle connections need ~10k descriptors in each process.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 10400 ]; then
  echo "warning: open files limit is $(ulimit -n); the memory scenario uses 10,000 connections" >&2
fi

# --- install / build -----------------------------------------------------------------------
if [ "$build" = 1 ]; then
  if [ ! -d bench/reference/node_modules/socket.io ]; then
    log "npm ci (bench/reference)"
    (cd bench/reference && npm ci --no-audit --no-fund --loglevel=error)
  fi
  log "building the load generator"
  dotnet build bench/LoadGen -c Release -nologo -clp:ErrorsOnly -v:quiet
fi
ours_dll="$root/artifacts/bin/Signaling.Server/release/Signaling.Server.dll"
if [ -n "$rev" ]; then
  # A committed revision, built from a clean copy of the tree (others' uncommitted edits are left out).
  rev_dir="${TMPDIR:-/tmp}/signaling-bench-rev-$(git rev-parse --short "$rev")"
  if [ ! -e "$rev_dir/artifacts/bin/Signaling.Server/release/Signaling.Server.dll" ]; then
    log "building the server at $rev (Release) in $rev_dir"
    rm -rf "$rev_dir" && mkdir -p "$rev_dir"
    git archive "$rev" | tar -x -C "$rev_dir"
    dotnet build "$rev_dir/src/Signaling.Server" -c Release -nologo -clp:ErrorsOnly -v:quiet
  fi
  ours_dll="$rev_dir/artifacts/bin/Signaling.Server/release/Signaling.Server.dll"
  src_state="$(git rev-parse --short "$rev") (clean build of the revision)"
else
  if [ "$build" = 1 ]; then
    log "building the server (Release)"
    dotnet build src/Signaling.Server -c Release -nologo -clp:ErrorsOnly -v:quiet
  fi
  src_state="$(git rev-parse --short HEAD 2>/dev/null || echo '?') + $(git status --porcelain src 2>/dev/null | wc -l) uncommitted files in src/"
fi
loadgen_dll="$root/artifacts/bin/LoadGen/release/LoadGen.dll"
for f in "$ours_dll" "$loadgen_dll" bench/reference/node_modules/socket.io/package.json; do
  [ -e "$f" ] || { echo "missing $f (run without --no-build)" >&2; exit 1; }
done

# Outside Development our server refuses to start without a credential; the benchmark's sockets are anonymous
# (Auth:AllowAnonymousRelay, the default), so a throwaway signing key for this run is enough.
bench_signing_key=$(head -c 48 /dev/urandom | base64 | tr -d '\n')

# dotnet-trace (from NuGet) lets the memory scenario force a full GC in our server for a second reading. Optional.
tools="${BENCH_TOOLS:-/tmp/signaling-bench-tools}"
gc_tool=""
if [[ ",$only," == *",memory,"* && ",$servers," == *",ours,"* ]]; then
  if [ ! -x "$tools/dotnet-trace" ] && [ "$build" = 1 ]; then
    dotnet tool install --tool-path "$tools" dotnet-trace >/dev/null 2>&1 || echo "note: could not install dotnet-trace; no forced-GC reading" >&2
  fi
  [ -x "$tools/dotnet-trace" ] && gc_tool="$tools/dotnet-trace"
fi

stamp=$(date -u +%Y%m%dT%H%M%SZ)
results_root="$root/bench/results"
run_dir="$results_root/$stamp"
mkdir -p "$run_dir"

# Others build in this repository too: run every scenario on a private copy of the binaries built above, so that
# a rebuild in the middle of the run cannot change (or break) the server being measured.
cp -r "$(dirname "$ours_dll")" "$run_dir/ours-bin"
cp -r "$(dirname "$loadgen_dll")" "$run_dir/loadgen-bin"
ours_dll="$run_dir/ours-bin/$(basename "$ours_dll")"
loadgen_dll="$run_dir/loadgen-bin/$(basename "$loadgen_dll")"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null \
    || echo $((20000 + RANDOM % 10000))
}

server_pid=""
wrapper_pid=""
stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  if [ -n "$wrapper_pid" ]; then wait "$wrapper_pid" 2>/dev/null || true; fi
  server_pid=""
  wrapper_pid=""
}
trap stop_server EXIT

# Waits (at most $1 seconds, and at most $quiet_wait in the whole run) until the machine is idle: other work on the
# two cores skews every figure.
wait_quiet() {
  local limit=$1 waited=0 busy
  [ "$limit" -gt "$quiet_wait" ] && limit=$quiet_wait
  while :; do
    busy=$(awk '/^cpu / {b=$2+$3+$4+$7+$8+$9; t=b+$5+$6; print b, t}' /proc/stat; sleep 1; awk '/^cpu / {b=$2+$3+$4+$7+$8+$9; t=b+$5+$6; print b, t}' /proc/stat)
    busy=$(echo "$busy" | awk 'NR==1 {b=$1; t=$2} NR==2 {printf "%d", 100*($1-b)/($2-t)}')
    if [ "$busy" -le 10 ]; then quiet_wait=$((quiet_wait - waited)); return 0; fi
    if [ "$waited" -ge "$limit" ]; then
      quiet_wait=$((quiet_wait - waited))
      echo "warning: the machine is still ${busy}% busy with other work; measuring anyway (see the 'other' CPU column)" >&2
      return 0
    fi
    [ "$waited" = 0 ] && echo "waiting for the machine to be idle (${busy}% busy; at most ${limit}s)" >&2
    sleep 2
    waited=$((waited + 3))
  done
}

# start_server ours|node LOGFILE -> sets server_pid, server_url. A wrapper subshell reaps the server so that its
# exit status (and the shell's report of a crash) goes to the log rather than to the terminal.
start_server() {
  local name=$1 logfile=$2 port health pidfile
  port=$(free_port)
  pidfile="$logfile.pid"
  rm -f "$pidfile"
  server_url="http://127.0.0.1:$port"
  case "$name" in
    ours)
      health="$server_url/health/ready"
      (
        ASPNETCORE_ENVIRONMENT=Production Auth__Jwt__SigningKey="$bench_signing_key" taskset -c 0 dotnet "$ours_dll" --urls "$server_url" >"$logfile" 2>&1 &
        echo $! >"$pidfile"
        status=0; wait $! || status=$?
        echo "[bench/run.sh] server exited with status $status" >>"$logfile"
      ) 2>>"$logfile" &
      ;;
    node)
      health="$server_url/health"
      (
        NODE_ENV=production PORT=$port taskset -c 0 node bench/reference/server.js >"$logfile" 2>&1 &
        echo $! >"$pidfile"
        status=0; wait $! || status=$?
        echo "[bench/run.sh] server exited with status $status" >>"$logfile"
      ) 2>>"$logfile" &
      ;;
  esac
  wrapper_pid=$!
  for _ in $(seq 1 50); do [ -s "$pidfile" ] && break; sleep 0.05; done
  server_pid=$(cat "$pidfile")
  for _ in $(seq 1 600); do
    curl -fs "$health" >/dev/null 2>&1 && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "the $name server did not start; see $logfile" >&2
  tail -20 "$logfile" >&2 || true
  stop_server
  return 1
}

loadgen_args=()
[ "$quick" = 1 ] && loadgen_args+=(--quick)

# One scenario against one server on a fresh server process (run $3 of $4). Measured again (once) when the server
# died under it, or when other processes took more than 30% of a core during a CPU-bound measurement (at most
# $noise_retries times a run).
run_one() {
  local name=$1 scenario=$2 run=$3 count=$4 attempt=0 out logfile status other base
  base="$name-$scenario"
  [ "$count" -gt 1 ] && base="$name-$scenario.run$run"
  out="$run_dir/$base.json"
  while :; do
    attempt=$((attempt + 1))
    logfile="$run_dir/$base.$attempt.server.log"
    if [ "$quiet_wait" -gt 0 ]; then wait_quiet 60; fi
    if ! start_server "$name" "$logfile"; then
      [ "$attempt" -lt 2 ] && continue
      return 1
    fi
    status=0
    local extra=()
    if [ "$name" = ours ] && [ "$scenario" = memory ] && [ -n "$gc_tool" ]; then extra=(--set "gc-tool=$gc_tool"); fi
    timeout 600 taskset -c 1 dotnet "$loadgen_dll" run "$scenario" --url "$server_url" --server-pid "$server_pid" \
      --label "$name" --out "$out" "${loadgen_args[@]}" "${extra[@]}" "${sets[@]}" || status=$?
    if ! kill -0 "$server_pid" 2>/dev/null; then
      stop_server
      echo "the $name server exited during $scenario (attempt $attempt; see $logfile):" >&2
      grep -v '^ *at ' "$logfile" | tail -5 >&2
      [ "$attempt" -lt 2 ] && continue
      return 1
    fi
    stop_server
    if [ -z "${crash_noted[$name]:-}" ] && grep -q "Unhandled exception" "$logfile"; then
      crash_noted[$name]=1
      echo "note: the $name server crashed while shutting down ($(grep -m1 -A1 'Unhandled exception' "$logfile" | tail -1 | sed 's/^ *//'))" >&2
    fi
    other=$(jq -r '.metrics.other_cpu_pct // 0' "$out" 2>/dev/null || echo 0)
    if [ "$status" = 0 ] && [ "$scenario" != memory ] && [ "$attempt" -lt 2 ] && [ "$noise_retries" -gt 0 ] && awk -v o="$other" 'BEGIN { exit !(o > 30) }'; then
      noise_retries=$((noise_retries - 1))
      echo "other processes used ${other}% of a core during the measurement; measuring $name $scenario again" >&2
      mv "$out" "$out.noisy"
      continue
    fi
    if [ "$count" -gt 1 ] && [ -s "$out" ]; then
      jq --argjson run "$run" '.run = $run' "$out" >"$out.tmp" && mv "$out.tmp" "$out"
    fi
    return $status
  done
}

declare -A crash_noted=()
log "results in ${run_dir#"$root"/}"
failures=0
for scenario in ${only//,/ }; do
  count=$(runs_of "$scenario")
  for run in $(seq 1 "$count"); do
    # Every other round starts with the other server, so that a drift of the machine does not favour one of them.
    order=${servers//,/ }
    if [ $((run % 2)) = 0 ]; then order=$(echo "$order" | tr ' ' '\n' | tac | tr '\n' ' '); fi
    for name in $order; do
      if [ "$count" -gt 1 ]; then log "$scenario: $name (run $run of $count)"; else log "$scenario: $name"; fi
      run_one "$name" "$scenario" "$run" "$count" || failures=$((failures + 1))
    done
  done
done

# --- report --------------------------------------------------------------------------------
os=$( (. /etc/os-release && echo "$PRETTY_NAME") 2>/dev/null || uname -s)
cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)
mem=$(free -g 2>/dev/null | awk '/^Mem:/ {print $2 " GiB"}')
dotnet_runtime=$(dotnet --list-runtimes 2>/dev/null | awk '/Microsoft.NETCore.App/ {v=$2} END {print v}')
sio=$(node -p 'require("./bench/reference/node_modules/socket.io/package.json").version' 2>/dev/null || echo "?")
dotnet "$loadgen_dll" report --dir "$run_dir" --json "$run_dir/results.json" --markdown "$run_dir/table.md" \
  --meta "date=$(date -u +%Y-%m-%dT%H:%MZ)" \
  --meta "command=$command_line" \
  --meta "machine=$cores cores ($cpu), $mem, $os, kernel $(uname -r)" \
  --meta "runtimes=.NET $dotnet_runtime (SDK $(dotnet --version)), Node $(node --version), socket.io $sio" \
  --meta "commit=$src_state" \
  --meta "quick=$quick" \
  --meta "loadavg_at_end=$(cut -d' ' -f1-3 /proc/loadavg)"
cp "$run_dir/results.json" "$results_root/latest.json"
cp "$run_dir/table.md" "$results_root/latest.md"
echo "raw results: ${results_root#"$root"/}/latest.json (and ${run_dir#"$root"/}/)"
exit $((failures > 0))
