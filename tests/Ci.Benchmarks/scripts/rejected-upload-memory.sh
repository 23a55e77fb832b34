#!/usr/bin/env bash
# How much memory ci-server spends on an upload it refuses. Starts the published ci-server on a temp
# database with --max-upload-mb 100, samples its RSS at idle, streams a 1 GiB upload to /submit-async
# (once chunked from a pipe, once with a Content-Length from a sparse file) and reports the peak RSS
# (VmHWM) after the 413 and the time to the 413. An accepted 50 MB upload is the baseline.
# Each measurement gets a fresh server, since VmHWM only ever grows.
#
# Usage: tests/Ci.Benchmarks/scripts/rejected-upload-memory.sh [BIN_DIR]   (default artifacts/bin,
# filled by ./build.sh publish). Needs curl, python3 (free port, zip) and Linux /proc.
set -euo pipefail

BIN=$(cd "${1:-artifacts/bin}" && pwd)
BIG_MB=${BIG_MB:-1024}
ACCEPTED_MB=${ACCEPTED_MB:-50}
LIMIT_MB=100
source "$(dirname "$0")/bench-env.sh"

kib() { awk -v field="$2:" '$1 == field { print $2 }' "/proc/$1/status"; }

start_server() {
  start_bench_server --max-upload-mb "$LIMIT_MB" --work-dir "$TMP/work" --concurrency 1
  sleep 1  # let start-up allocations settle before the idle sample
  IDLE=$(kib "$SERVER_PID" VmRSS)
}

stop_server() {
  kill "$SERVER_PID" && wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
}

report() { # name http_code seconds upload_bytes bytes_sent
  local peak; peak=$(kib "$SERVER_PID" VmHWM)
  awk -v name="$1" -v code="$2" -v secs="$3" -v bytes="$4" -v sent="$5" -v idle="$IDLE" -v peak="$peak" 'BEGIN {
    printf "%-32s HTTP %s  upload %6.1f MiB  sent before the answer %6.1f MiB  answer after %5.2f s  idle RSS %5.1f MiB  peak RSS (VmHWM) %5.1f MiB  peak/idle %.2f\n",
      name, code, bytes / 1048576, sent / 1048576, secs, idle / 1024, peak / 1024, peak / idle }'
}

echo "ci-server $("$BIN/ci-server" --version 2>/dev/null | awk '{print $2}'), --max-upload-mb $LIMIT_MB, $(nproc) CPUs"

# 1. Rejected, streamed from a pipe with chunked transfer encoding (no size known up front).
start_server
BOUNDARY=ci-bench-boundary
body() {
  printf -- '--%s\r\nContent-Disposition: form-data; name="file"; filename="big.zip"\r\nContent-Type: application/zip\r\n\r\n' "$BOUNDARY"
  head -c "${BIG_MB}M" /dev/zero
  printf -- '\r\n--%s--\r\n' "$BOUNDARY"
}
out=$(body 2>/dev/null | curl -s -o /dev/null -X POST -T - -H "Authorization: Bearer $KEY" \
  -H "Content-Type: multipart/form-data; boundary=$BOUNDARY" -w '%{http_code} %{time_total} %{size_upload}' \
  "http://127.0.0.1:$PORT/submit-async" || true)
read -r code secs sent <<<"$out"
report "rejected ${BIG_MB} MiB, chunked pipe" "$code" "$secs" $((BIG_MB * 1048576)) "$sent"
stop_server

# 2. Rejected, from a (sparse) file: curl sends a Content-Length far over the limit.
truncate -s "${BIG_MB}M" "$TMP/big.zip"
start_server
out=$(curl -s -o /dev/null -H "Authorization: Bearer $KEY" -F "file=@$TMP/big.zip" \
  -w '%{http_code} %{time_total} %{size_upload}' "http://127.0.0.1:$PORT/submit-async" || true)
read -r code secs sent <<<"$out"
report "rejected ${BIG_MB} MiB, Content-Length" "$code" "$secs" $((BIG_MB * 1048576)) "$sent"
stop_server
rm -f "$TMP/big.zip"

# 3. Baseline: an accepted upload of incompressible data (the zip is as big as its content).
head -c "${ACCEPTED_MB}M" /dev/urandom >"$TMP/data.bin"
(cd "$TMP" && python3 -m zipfile -c accepted.zip data.bin)
rm -f "$TMP/data.bin"
start_server
out=$(curl -s -o /dev/null -H "Authorization: Bearer $KEY" -F "file=@$TMP/accepted.zip" \
  -w '%{http_code} %{time_total} %{size_upload}' "http://127.0.0.1:$PORT/submit-async" || true)
read -r code secs sent <<<"$out"
SIZE=$(stat -c %s "$TMP/accepted.zip")
report "accepted ${ACCEPTED_MB} MiB (upload only)" "$code" "$secs" "$SIZE" "$sent"
# The runner then unpacks the same bytes; wait until the workspace is gone again (or 30 s).
for _ in $(seq 300); do
  sleep 0.1
  [[ -d "$TMP/work" ]] && [[ -z "$(ls -A "$TMP/work" 2>/dev/null)" ]] && grep -q "ended" "$TMP/server.log" && break
done
report "accepted ${ACCEPTED_MB} MiB (+ job unpacked)" "$code" "$secs" "$SIZE" "$sent"
stop_server
