#!/usr/bin/env bash
# How long a cancel takes to kill a job's whole process tree. Starts the published ci-server on a temp
# database, submits a project whose test spawns a child and a child that escapes into its own session
# (both carry a marker on their command line) and then sleeps; once both children run, POSTs
# /jobs/{id}/cancel and measures the time until no process with the marker is left.
#
# Usage: tests/Ci.Benchmarks/scripts/kill-tree-time.sh [BIN_DIR] [ROUNDS]   (default artifacts/bin, 3)
# PYTHON (default /usr/bin/python3) must have pytest; SANDBOX=none|bwrap picks the isolation (default auto). Needs curl, python3 and pgrep.
set -euo pipefail

BIN=$(cd "${1:-artifacts/bin}" && pwd)
ROUNDS=${2:-3}
PYTHON=${PYTHON:-/usr/bin/python3}
source "$(dirname "$0")/bench-env.sh"
# As root, jobs run as nobody; without bwrap they reach their workspace through this folder (mktemp makes it 0700).
chmod 711 "$TMP"
start_bench_server --python "$PYTHON" --work-dir "$TMP/work" ${SANDBOX:+--sandbox "$SANDBOX"}
API=(-s -H "Authorization: Bearer $KEY")
now_ms() { date +%s%3N; }

echo "ci-server $("$BIN/ci-server" --version | awk '{print $2}'), $(grep -oE 'sandbox (Bwrap|None)' "$TMP/server.log" | head -1 || echo 'sandbox ?')"
for round in $(seq "$ROUNDS"); do
  marker="ci-kill-tree-$$-$round-$RANDOM"
  project=$TMP/p$round
  mkdir -p "$project"
  cat >"$project/conftest.py" <<PY
import subprocess

def pytest_sessionstart(session):
    subprocess.Popen(["sh", "-c", "sleep 300; echo $marker-child"])
    subprocess.Popen(["sh", "-c", "sleep 300; echo $marker-escaped"], start_new_session=True)
PY
  printf 'import time\n\ndef test_sleeps():\n    time.sleep(300)\n' >"$project/test_sleeps.py"
  (cd "$project" && python3 -m zipfile -c ../p$round.zip conftest.py test_sleeps.py)
  job=$(curl "${API[@]}" -F "file=@$TMP/p$round.zip" "http://127.0.0.1:$PORT/submit-async" | python3 -c 'import json, sys; print(json.load(sys.stdin)["job_id"])')
  for _ in $(seq 600); do
    [[ $(pgrep -fc -- "$marker" || true) -ge 2 ]] && break
    sleep 0.05
  done
  before=$(pgrep -fc -- "$marker" || true)
  start=$(now_ms)
  curl "${API[@]}" -o /dev/null -X POST "http://127.0.0.1:$PORT/jobs/$job/cancel"
  answered=$(now_ms)
  while pgrep -f -- "$marker" >/dev/null; do sleep 0.005; done
  gone=$(now_ms)
  echo "round $round: $before marked processes; cancel answered after $((answered - start)) ms; none left after $((gone - start)) ms"
done
