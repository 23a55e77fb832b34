#!/usr/bin/env bash
# What a job's services and artifacts cost. Starts the published ci-server on a temp database, then
#  1. runs ROUNDS jobs with services = ["postgresql", "redis"] and prints each service's start-up time as the job's log
#     says it ("PostgreSQL ready in 0.4 s."; the first round also builds the PostgreSQL template);
#  2. runs a job that leaves a 50 MiB artifact, and downloads it ROUNDS times with `ci artifacts --output` against a
#     plain `curl` of the same URL (same run, same server), checking both copies are byte-identical.
#
# Usage: tests/Ci.Benchmarks/scripts/services-artifacts.sh [BIN_DIR] [ROUNDS]   (default artifacts/bin, 3)
# PYTHON (default /usr/bin/python3) must have pytest. Needs curl, python3, sha256sum, PostgreSQL and Redis.
set -euo pipefail

BIN=$(cd "${1:-artifacts/bin}" && pwd)
ROUNDS=${2:-3}
PYTHON=${PYTHON:-/usr/bin/python3}
source "$(dirname "$0")/bench-env.sh"
chmod 711 "$TMP"
start_bench_server --python "$PYTHON" --work-dir "$TMP/w"
export CI_SERVER_URL="http://127.0.0.1:$PORT" CI_API_KEY="$KEY"
seconds() { python3 -c "import sys; print(f'{(int(sys.argv[2]) - int(sys.argv[1])) / 1e9:.3f}')" "$1" "$2"; }

echo "ci-server $("$BIN/ci-server" --version | awk '{print $2}'), $(nproc) CPUs, $(grep -oE 'sandbox (Bwrap|None), network [A-Za-z]+' "$TMP/server.log" | head -1)"
mkdir -p "$TMP/services"
printf 'services = ["postgresql", "redis"]\n' >"$TMP/services/ci.toml"
printf 'def test_nothing():\n    pass\n' >"$TMP/services/test_nothing.py"
for round in $(seq "$ROUNDS"); do
  log=$(cd "$TMP/services" && "$BIN/ci" submit test 2>/dev/null)
  echo "services round $round: $(grep -oE '(PostgreSQL|Redis) ready in [0-9.]+ s' <<<"$log" | paste -sd ',' | sed 's/,/, /')"
done

mkdir -p "$TMP/big"
printf 'artifacts = ["out/**"]\n' >"$TMP/big/ci.toml"
printf 'import os\n\ndef test_leaves_50_mib():\n    os.makedirs("out", exist_ok=True)\n    with open("out/big.bin", "wb") as f:\n        f.write(os.urandom(50 * 1024 * 1024))\n' >"$TMP/big/test_big.py"
job=$(cd "$TMP/big" && "$BIN/ci" submit test --async 2>/dev/null | grep -oE '[0-9a-f-]{36}' | head -1)
"$BIN/ci" wait "$job" >/dev/null 2>&1
download_ci() { "$BIN/ci" artifacts "$job" --output "$TMP/dl-ci" >/dev/null; }
download_curl() { curl -fsS -H "Authorization: Bearer $KEY" -o "$TMP/dl-curl.bin" "$CI_SERVER_URL/jobs/$job/artifacts/out/big.bin"; }
timed() { local start end; start=$(date +%s%N); "$@"; end=$(date +%s%N); seconds "$start" "$end"; }
for round in $(seq "$ROUNDS"); do
  rm -rf "$TMP/dl-ci" "$TMP/dl-curl.bin"
  # Taking turns at going first, so neither always finds the store's pages warm.
  if (( round % 2 )); then ci_s=$(timed download_ci); curl_s=$(timed download_curl)
  else curl_s=$(timed download_curl); ci_s=$(timed download_ci); fi
  same=$([[ $(sha256sum <"$TMP/dl-ci/out/big.bin") == $(sha256sum <"$TMP/dl-curl.bin") ]] && echo identical || echo DIFFERENT)
  echo "50 MiB round $round: ci artifacts --output $ci_s s, curl $curl_s s, ratio ci/curl $(python3 -c "print(f'{$ci_s / $curl_s:.2f}')"), $(stat -c %s "$TMP/dl-ci/out/big.bin") bytes, $same"
done
