#!/usr/bin/env bash
# Sharding figures for BENCHMARKS.md: wall time of `ci submit test` on a generated suite whose tests sleep (40 tests
# of 0.1-1.0 s, fixed seed), unsharded, with --shards 4 on a 4-slot server without history, and again with history
# (the first sharded run recorded every test's duration); each against the ideal max(total/4, longest) + the fixed
# cost of a job (a one-test project's wall time). Also the cost a shard adds: a suite of 4 empty tests with
# --shards 4 against the same suite unsharded. Usage: shard-bench.sh [BIN] (default artifacts/bin).
set -euo pipefail
BIN=${1:-$(cd "$(dirname "$0")/../../.." && pwd)/artifacts/bin}
# shellcheck source=bench-env.sh
source "$(dirname "$0")/bench-env.sh"
PYTHON=${CI_BENCH_PYTHON:-/usr/bin/python3}
start_bench_server --concurrency 4 --python "$PYTHON" --job-network host --work-dir "$TMP/work"
export CI_SERVER_URL=http://127.0.0.1:$PORT CI_API_KEY=$KEY

# The suite: test_i sleeps its drawn time; prints total and longest.
make_suite() { "$PYTHON" "$(dirname "$0")/sleep-suite.py" "$@"; } # DIR COUNT LOW HIGH

# Wall seconds of one `ci submit test` in DIR with ARGS (the job must pass).
wall() { # DIR ARGS...
  local dir=$1; shift
  local start end
  start=$(date +%s.%N)
  (cd "$dir" && "$BIN/ci" submit test "$@" >"$TMP/last.log" 2>&1) || { echo "Error: job failed:" >&2; cat "$TMP/last.log" >&2; exit 1; }
  end=$(date +%s.%N)
  "$PYTHON" -c "print(f'{$end - $start:.3f}')"
}

read -r total longest < <(make_suite "$TMP/suite" 40 0.1 1.0)
make_suite "$TMP/one" 1 0 0 >/dev/null
make_suite "$TMP/four" 4 0 0 >/dev/null

# Warm-up: the job environment cache and the server's first requests.
wall "$TMP/one" --project warm-up >/dev/null
fixed=$(wall "$TMP/one" --project one)
unsharded=$(wall "$TMP/suite" --project unsharded)
cold=$(wall "$TMP/suite" --shards 4 --project sharded)
cold_plan=$(grep -o 'Sharding.*' "$TMP/last.log")
warm=$(wall "$TMP/suite" --shards 4 --project sharded)
warm_plan=$(grep -o 'Sharding.*' "$TMP/last.log")
four_plain=$(wall "$TMP/four" --project four)
four_sharded=$(wall "$TMP/four" --shards 4 --project four)
four_two=$(wall "$TMP/four" --shards 2 --project four)
four_sharded_again=$(wall "$TMP/four" --shards 4 --project four)

"$PYTHON" - "$total" "$longest" "$fixed" "$unsharded" "$cold" "$warm" "$four_plain" "$four_sharded" "$four_two" "$four_sharded_again" "$cold_plan" "$warm_plan" <<'PY'
import sys
total, longest, fixed, unsharded, cold, warm, four_plain, four_sharded, four_two, four_again = map(float, sys.argv[1:11])
ideal = max(total / 4, longest) + fixed
print(f"suite: 40 tests, {total:.2f} s of sleep in all, longest {longest:.2f} s; fixed cost of a job (1 empty test): {fixed:.2f} s")
print(f"ideal for 4 shards: max({total:.2f} / 4, {longest:.2f}) + {fixed:.2f} = {ideal:.2f} s")
print("| run | wall | ratio to the ideal |")
print("|---|---|---|")
print(f"| unsharded | {unsharded:.2f} s | {unsharded / ideal:.2f}x |")
print(f"| `--shards 4`, no history | {cold:.2f} s | {cold / ideal:.2f}x |")
print(f"| `--shards 4`, with history | {warm:.2f} s | {warm / ideal:.2f}x |")
print(f"cost a shard adds (4 empty tests, --shards 4 against unsharded): {four_sharded - four_plain:+.3f} s for the job ({four_plain:.2f} s -> {four_sharded:.2f} s)")
print(f"each shard past the second (4 empty tests, --shards 4 against --shards 2, median of the two 4-shard runs): {(sorted([four_sharded, four_again])[0] - four_two) / 2 * 1000:+.0f} ms a shard ({four_two:.2f} s -> {min(four_sharded, four_again):.2f} s)")
print("plans:", sys.argv[11], "/", sys.argv[12])
PY
