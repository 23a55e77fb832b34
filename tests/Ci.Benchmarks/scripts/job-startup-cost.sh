#!/usr/bin/env bash
# What holding a job in costs at its start (issue 15: a cgroup, a size-limited tmpfs and a per-slot uid per
# job). Runs ROUNDS trivial jobs (one passing test, no requirements) one after another on each server, alternating,
# and prints the median and mean time from submit to the job's end, and the ratio against the first server.
#   BASE_BIN: a build without the confinement (e.g. main's), else the same binaries at the cheapest setting a root
#   server has: --sandbox none, --job-network host, every limit off (the cgroup and the per-slot uid stay: as root
#   they cannot be turned off). The confined server runs with SANDBOX and NETWORK (default bwrap and outbound).
# Usage: tests/Ci.Benchmarks/scripts/job-startup-cost.sh [BIN_DIR] [ROUNDS]   (default artifacts/bin, 10)
# PYTHON (default /usr/bin/python3) must have pytest. Run as root for the real thing. confinement-parts.py times the
# pieces one by one.
set -euo pipefail

BIN=$(cd "${1:-artifacts/bin}" && pwd)
ROUNDS=${2:-10}
PYTHON=${PYTHON:-/usr/bin/python3}
SANDBOX=${SANDBOX:-bwrap}
NETWORK=${NETWORK:-outbound}
source "$(dirname "$0")/bench-env.sh"
chmod 711 "$TMP"
mkdir -p "$TMP/p"
printf 'def test_ok():\n    assert True\n' >"$TMP/p/test_ok.py"
(cd "$TMP/p" && python3 -m zipfile -c ../p.zip test_ok.py)
now_ms() { date +%s%3N; }

# Times one job: submit, then poll its status until it is no longer queued or running.
time_job() {
  local start job status
  start=$(now_ms)
  job=$(curl -s -H "Authorization: Bearer $KEY" -F "file=@$TMP/p.zip" "http://127.0.0.1:$PORT/submit-async" | python3 -c 'import json, sys; print(json.load(sys.stdin)["job_id"])')
  for _ in $(seq 1200); do
    status=$(curl -s -H "Authorization: Bearer $KEY" "http://127.0.0.1:$PORT/jobs/$job" | python3 -c 'import json, sys; print(json.load(sys.stdin)["status"])')
    [[ $status != queued && $status != running ]] && break
    sleep 0.02
  done
  [[ $status == completed ]] || { echo "Error: job $job ended $status" >&2; exit 1; }
  echo $(( $(now_ms) - start ))
}

# Two servers side by side, each with its own store and work folder; rounds alternate between them.
if [[ -n ${BASE_BIN:-} ]]; then BASE=$(cd "$BASE_BIN" && pwd); BASE_ARGS=(--sandbox "$SANDBOX"); BASE_NAME="baseline ($BASE_BIN)"
else BASE=$BIN; BASE_ARGS=(--sandbox none --job-network host --job-memory-mb 0 --job-pids 0 --job-cpus 0 --job-disk-mb 0); BASE_NAME="cheapest (none, host, no limits)"; fi
start_config() { # name bin args...
  local name=$1 saved=$BIN; BIN=$2; shift 2
  create_bench_store "$TMP/$name"
  start_bench_server --python "$PYTHON" --work-dir "$TMP/$name/work" --env-cache-mb 0 "$@"
  mv "$TMP/server.log" "$TMP/$name.log"  # the server keeps writing to it
  declare -g "PORT_$name=$PORT" "KEY_$name=$KEY" "PID_$name=$SERVER_PID"
  SERVER_PID=; BIN=$saved
}
start_config base "$BASE" ${BASE_ARGS[@]+"${BASE_ARGS[@]}"}
start_config confined "$BIN" --sandbox "$SANDBOX" --job-network "$NETWORK"
trap 'kill $PID_base $PID_confined 2>/dev/null; wait 2>/dev/null; cleanup' EXIT
BASE_TIMES=; CONFINED_TIMES=
for round in $(seq "$ROUNDS"); do
  PORT=$PORT_base KEY=$KEY_base; BASE_TIMES+=" $(time_job)"
  PORT=$PORT_confined KEY=$KEY_confined; CONFINED_TIMES+=" $(time_job)"
done
echo "ci-server $("$BIN/ci-server" --version | awk '{print $2}'), sandbox $SANDBOX, network $NETWORK, $(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg), $ROUNDS trivial jobs each (submit to end, ms)"
grep -ho 'jobs run as .*' "$TMP/confined.log" | head -1 || true
python3 - "$BASE_NAME" "$BASE_TIMES" "$CONFINED_TIMES" <<'PY'
import statistics, sys
name, base, confined = sys.argv[1], [int(x) for x in sys.argv[2].split()], [int(x) for x in sys.argv[3].split()]
for label, xs in [(name, base), ("confined (cgroup + limits + uid + sandbox + net)", confined)]:
    print(f"{label:50} median {statistics.median(xs):7.0f}  mean {statistics.mean(xs):7.0f}  min {min(xs):6d}  max {max(xs):6d}")
print(f"ratio confined / {name}: median {statistics.median(confined) / statistics.median(base):.2f}, mean {statistics.mean(confined) / statistics.mean(base):.2f}")
PY
