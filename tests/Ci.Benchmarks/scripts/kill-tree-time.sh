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
TMP=$(mktemp -d)
# As root, jobs run as nobody; without bwrap they reach their workspace through this folder (mktemp makes it 0700).
chmod 711 "$TMP"
SERVER_PID=
cleanup() {
  [[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT

export CI_DB_PATH=$TMP/ci.db
"$BIN/ci-admin" user create --name Bench --email bench@example.com >/dev/null
KEY=$("$BIN/ci-admin" key create --email bench@example.com --name bench | grep -o 'ci_[A-Za-z0-9_-]*' | head -1)
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$BIN/ci-server" --port "$PORT" --python "$PYTHON" --work-dir "$TMP/work" ${SANDBOX:+--sandbox "$SANDBOX"} >"$TMP/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done
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
