#!/usr/bin/env bash
# Profiles our server under one bench scenario, run as bench/run.sh runs it (server on core 0, load on core 1):
# CPU samples with perf (JIT frames named through DOTNET_PerfMapEnabled, W^X off so perf can map them), optionally a dotnet-trace cpu-sampling
# trace, and the runtime's own counters (GC collections, allocated bytes, lock contention) scraped from /metrics
# before and after the sampled window.
#
#   bench/profile.sh [throughput|latency|calls|connect] [--seconds N] [--cold] [--dotnet-trace] [--set k=v]...
#                    (samples after 60 s of load, when the JIT has tiered the hot paths up; --cold: after 3 s)
#   bench/profile.sh memory [--set idle-connections=N]
#   --dll PATH: another build of the server (e.g. bench/results/<run>/ours-bin/Signaling.Server.dll from run.sh --rev)
#
# Needs perf (Debian: linux-perf). With --dotnet-trace, installs dotnet-trace into $BENCH_TOOLS (default
# /tmp/signaling-bench-tools) from NuGet. `memory` takes GC heap snapshots (dotnet-trace, GC heap dump keywords)
# before and after opening the idle connections (2,000 unless told) and prints the live heap per connection by type
# (bench/HeapStats). Output: bench/results/profile-<scenario>-<time>/.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

scenario=throughput
seconds=8
use_dotnet_trace=0
cold=0
ours_dll_override=""
sets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift ;;
    --dotnet-trace) use_dotnet_trace=1 ;;
    --cold) cold=1 ;;
    --dll) ours_dll_override="$2"; shift ;;
    --set) sets+=(--set "$2"); shift ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) scenario="$1" ;;
  esac
  shift
done
command -v perf >/dev/null || { echo "perf is required (apt-get install linux-perf)" >&2; exit 1; }
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

ours_dll="${ours_dll_override:-$root/artifacts/bin/Signaling.Server/release/Signaling.Server.dll}"
loadgen_dll="$root/artifacts/bin/LoadGen/release/LoadGen.dll"
if [ ! -e "$ours_dll" ] || [ ! -e "$loadgen_dll" ]; then
  dotnet build src/Signaling.Server -c Release -nologo -clp:ErrorsOnly -v:quiet
  dotnet build bench/LoadGen -c Release -nologo -clp:ErrorsOnly -v:quiet
fi
tools="${BENCH_TOOLS:-/tmp/signaling-bench-tools}"
if [ "$scenario" = memory ]; then use_dotnet_trace=1; fi
if [ "$use_dotnet_trace" = 1 ] && [ ! -x "$tools/dotnet-trace" ]; then
  dotnet tool install --tool-path "$tools" dotnet-trace >/dev/null
fi

out="$root/bench/results/profile-$scenario-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port"

(
  DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 ASPNETCORE_ENVIRONMENT=Production Auth__Jwt__SigningKey="$(head -c 48 /dev/urandom | base64 | tr -d '\n')" taskset -c 0 dotnet "$ours_dll" --urls "$url" >"$out/server.log" 2>&1 &
  echo $! >"$out/server.pid"
  wait $! || true
) 2>>"$out/server.log" &
wrapper=$!
for _ in $(seq 1 50); do [ -s "$out/server.pid" ] && break; sleep 0.05; done
pid=$(cat "$out/server.pid")
cleanup() { kill -TERM "$pid" 2>/dev/null || true; wait "$wrapper" 2>/dev/null || true; }
trap cleanup EXIT
for _ in $(seq 1 150); do curl -fs "$url/health/ready" >/dev/null 2>&1 && break; sleep 0.1; done

if [ "$scenario" = memory ]; then
  heapstats_dll="$root/artifacts/bin/HeapStats/release/HeapStats.dll"
  [ -e "$heapstats_dll" ] || dotnet build bench/HeapStats -c Release -nologo -clp:ErrorsOnly -v:quiet
  connections=2000
  for a in "${sets[@]}"; do case "$a" in idle-connections=*) connections="${a#*=}" ;; esac; done
  taskset -c 1 dotnet "$loadgen_dll" run memory --url "$url" --server-pid "$pid" --label ours --out "$out/result.json" \
    --set "idle-connections=$connections" --set settle=15 --set "gc-tool=$tools/dotnet-trace" --set "heap-dump-dir=$out" "${sets[@]}"
  echo
  echo "== live managed heap per idle connection, by type (after a full GC; $connections connections)"
  dotnet "$heapstats_dll" "$out/loaded.nettrace" "$out/baseline.nettrace" "$connections" --top 40
  echo
  echo "full data: ${out#"$root"/}/ (dotnet $heapstats_dll ${out#"$root"/}/loaded.nettrace for the whole heap)"
  exit 0
fi

# The sampled window falls inside the measurement, after a fixed warm-up: 60 s (the JIT needs 20-60 s of load on one
# core to tier the hot paths up), or 3 s with --cold.
warm=60
[ "$cold" = 1 ] && warm=3
case "$scenario" in
  throughput|latency|calls) sets+=(--set "warmup=$warm" --set "max-warmup=$warm" --set "duration=$((seconds + 6))") ;;
  connect) sets+=(--set "warmup=$((warm + seconds + 5))" --set "max-warmup=$((warm + seconds + 5))") ;; # sampled during the warm-up batches
esac
taskset -c 1 dotnet "$loadgen_dll" run "$scenario" --url "$url" --server-pid "$pid" --label ours \
  --out "$out/result.json" "${sets[@]}" >"$out/loadgen.log" 2>&1 &
loadgen=$!
sleep $((warm + 3))

scrape() { curl -fs "$url/metrics" | grep -E '^(system_runtime_dotnet_(gc_collections|gc_heap_total_allocated|exceptions|monitor_lock_contentions|thread_pool_(completed_work_items|queue_length|thread_count)|gc_pause_time|process_cpu_time)|process_cpu_seconds_total)' || true; }
scrape >"$out/metrics.before"
start=$(date +%s.%N)
if [ "$use_dotnet_trace" = 1 ]; then
  "$tools/dotnet-trace" collect -p "$pid" --profile cpu-sampling --duration "00:00:00:$(printf '%02d' "$seconds")" \
    -o "$out/server.nettrace" >"$out/dotnet-trace.log" 2>&1 || true
else
  perf record -F 999 -g -p "$pid" -o "$out/perf.data" -- sleep "$seconds" >"$out/perf-record.log" 2>&1
fi
end=$(date +%s.%N)
scrape >"$out/metrics.after"
wait "$loadgen" || true
cat "$out/loadgen.log"

echo
echo "== runtime counters over the sampled ${seconds}s (from /metrics)"
awk -v dt="$(echo "$end - $start" | bc)" '
  FNR == NR { before[$1] = $2; next }
  { d = $2 - before[$1]
    if ($1 ~ /allocated/) printf "  %-75s %12.1f MB/s\n", $1, d / dt / 1e6
    else if ($1 ~ /cpu/) printf "  %-75s %12.1f %% of a core\n", $1, 100 * d / dt
    else if ($1 ~ /queue_length|thread_count/) printf "  %-75s %12d (now)\n", $1, $2
    else printf "  %-75s %12.1f /s\n", $1, d / dt }' "$out/metrics.before" "$out/metrics.after"

if [ "$use_dotnet_trace" = 1 ]; then
  echo
  echo "== hottest methods (dotnet-trace, exclusive)"
  "$tools/dotnet-trace" report "$out/server.nettrace" topN -n 30 2>/dev/null || echo "(dotnet-trace report failed; open $out/server.nettrace in PerfView/speedscope)"
  exit 0
fi

echo
echo "== where the server's CPU goes (perf, self time by module)"
perf report -i "$out/perf.data" --no-children --sort dso --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -12
echo
echo "== hottest functions (self)"
perf report -i "$out/perf.data" --no-children --sort dso,sym --stdio -g none 2>/dev/null | grep -E '^ +[0-9]' | head -45 | cut -c1-200
echo
echo "== hottest managed frames (inclusive, JIT code only)"
perf report -i "$out/perf.data" --children --sort sym --stdio -g none --dsos "$(basename "/tmp/perf-$pid.map")" 2>/dev/null \
  | grep -E '^ +[0-9]' | head -40 | cut -c1-200
echo
echo "full data: ${out#"$root"/}/ (perf report -i ${out#"$root"/}/perf.data)"
