#!/usr/bin/env bash
# Push fan-out: invitations ring 10,000 offline iOS devices through the real server (Release, its own process) and
# the TestKit APNs stand-in (HTTP/2 over TLS, every push checked as APNs checks it) in bench/push-fanout, which also
# drives the REST API. Prints pushes per second and the server's memory (peak working set, GC heap before and
# after), and writes them to the "## Push fan-out" section at the end of docs/benchmarks.md.
#
#   bench/push-fanout.sh                      10,000 devices, the server's default Push:MaxConcurrency (16), 3 runs
#   bench/push-fanout.sh --runs 5             more runs (each on a fresh server; the median run is reported)
#   bench/push-fanout.sh --devices 2000       another count (a multiple of 100)
#   bench/push-fanout.sh --concurrency 64     Push:MaxConcurrency for the server
#   bench/push-fanout.sh --no-build           skip dotnet build
#   bench/push-fanout.sh --no-docs            print only; leave docs/benchmarks.md alone
#
# The machine is shared, so one run is noisy: the figures are those of the run with the median pushes per second,
# and the section lists every run's rate. With two cores or more the server is pinned to core 0 and the driver to
# core 1. dotnet-trace (from NuGet, in $BENCH_TOOLS, default /tmp/signaling-bench-tools, as bench/run.sh uses it)
# forces a full GC in the server before each heap reading; without it the heap is read as the last GC left it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

devices=10000
runs=3
concurrency=""
build=1
docs=1
command_line="bench/push-fanout.sh${*:+ $*}"
while [ $# -gt 0 ]; do
  case "$1" in
    --devices) devices="$2"; shift ;;
    --devices=*) devices="${1#*=}" ;;
    --runs) runs="$2"; shift ;;
    --runs=*) runs="${1#*=}" ;;
    --concurrency) concurrency="$2"; shift ;;
    --concurrency=*) concurrency="${1#*=}" ;;
    --no-build) build=0 ;;
    --no-docs) docs=0 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

server_dll="artifacts/bin/Signaling.Server/release/Signaling.Server.dll"
bench_dll="artifacts/bin/PushFanout/release/PushFanout.dll"
if [ "$build" = 1 ]; then
  echo "=== building the server and bench/push-fanout (Release)" >&2
  dotnet build src/Signaling.Server -c Release -nologo -clp:ErrorsOnly -v:quiet
  dotnet build bench/push-fanout -c Release -nologo -clp:ErrorsOnly -v:quiet
fi
for f in "$server_dll" "$bench_dll"; do
  [ -e "$f" ] || { echo "missing $f (run without --no-build)" >&2; exit 1; }
done

# Others build in this repository too: run a private copy of the binaries so a rebuild cannot change them mid-run.
run_dir="$(mktemp -d "${TMPDIR:-/tmp}/push-fanout.XXXXXX")"
cp -r "$(dirname "$server_dll")" "$run_dir/server"
cp -r "$(dirname "$bench_dll")" "$run_dir/bench"

driver=()
pin=()
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
  driver=(taskset -c 1)
  pin=(--server-cpus 0)
fi

tools="${BENCH_TOOLS:-/tmp/signaling-bench-tools}"
if [ ! -x "$tools/dotnet-trace" ] && [ "$build" = 1 ]; then
  dotnet tool install --tool-path "$tools" dotnet-trace >/dev/null 2>&1 || echo "note: could not install dotnet-trace; heap read without a forced GC" >&2
fi
gc=()
[ -x "$tools/dotnet-trace" ] && gc=(--gc-tool "$tools/dotnet-trace")

extra=()
[ -n "$concurrency" ] && extra=(--concurrency "$concurrency")

for run in $(seq 1 "$runs"); do
  echo "=== run $run of $runs (work files in $run_dir/run-$run)" >&2
  "${driver[@]}" dotnet "$run_dir/bench/PushFanout.dll" --server-dll "$run_dir/server/Signaling.Server.dll" \
    --devices "$devices" "${pin[@]}" "${gc[@]}" "${extra[@]}" --work-dir "$run_dir/run-$run" \
    --json "$run_dir/run-$run/result.json" --markdown "$run_dir/run-$run/section.md" --command "$command_line"
done

# The median run's section, with every run's rate added to its table.
python3 - "$run_dir" "$runs" <<'PY'
import json, sys
run_dir, runs = sys.argv[1], int(sys.argv[2])
results = [(json.load(open(f"{run_dir}/run-{i}/result.json")), i) for i in range(1, runs + 1)]
ranked = sorted(results, key=lambda r: r[0]["pushesPerSecond"])
median, index = ranked[(len(ranked) - 1) // 2]
rates = " / ".join(f"{r['pushesPerSecond']:,.0f}" for r, _ in results)
section = open(f"{run_dir}/run-{index}/section.md", encoding="utf-8").read()
row = f"| runs, pushes per second each (the median run is shown) | {rates} |\n"
marker = "| server managed allocations"
at = section.index("\n", section.index(marker)) + 1
open(f"{run_dir}/section.md", "w", encoding="utf-8").write(section[:at] + row + section[at:])
json.dump({"median": median, "runs": [r for r, _ in results]}, open(f"{run_dir}/result.json", "w"), indent=2)
print(f"runs: {rates} pushes/s; median: run {index}")
PY

if [ "$docs" = 1 ]; then
  # Only this section is ours: replace it where it is, or append it at the end; the rest of the file is left as is.
  python3 - "$root/docs/benchmarks.md" "$run_dir/section.md" <<'PY'
import re, sys
path, section_path = sys.argv[1], sys.argv[2]
section = open(section_path, encoding="utf-8").read().rstrip("\n") + "\n"
try:
    text = open(path, encoding="utf-8").read()
except FileNotFoundError:
    text = ""
heading = re.search(r"^## Push fan-out[ \t]*$", text, flags=re.M)
if heading:
    following = re.search(r"^## ", text[heading.end():], flags=re.M)
    end = heading.end() + following.start() if following else len(text)
    tail = text[end:]
    text = text[:heading.start()] + section + ("\n" + tail if tail else "")
else:
    text = (text.rstrip("\n") + "\n\n" if text.strip() else "") + section
open(path, "w", encoding="utf-8").write(text)
PY
  echo "=== wrote the '## Push fan-out' section of docs/benchmarks.md" >&2
fi
echo "=== figures: $run_dir/result.json" >&2
