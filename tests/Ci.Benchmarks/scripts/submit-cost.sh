#!/usr/bin/env bash
# The fixed cost of a job (issue 16, "A small fixed cost"): median wall time of `ci submit test` of a one-test
# project on a warm server (environment cached, contents already uploaded) against `python -m pytest` run directly
# in the same folder, N runs each, taking turns, in the same run; prints both medians, the difference and the ratio.
# Usage: submit-cost.sh [BIN] [N]   (BIN default artifacts/bin after ./build.sh publish; N default 20)
#   PYTHON (default /usr/bin/python3) must have pytest; the server runs its jobs with it (--job-network host, like
#   the baseline). SERVER_ARGS adds server options (e.g. "--sandbox none"). GIT=1 makes the project a git work
#   tree with one commit (the client then reads its git state, as in a real checkout). SHARDS="2 4" instead times
#   a suite of 8 trivial tests unsharded against the same suite with --shards N (a server of 4 slots): the fixed
#   cost a shard adds.
set -euo pipefail
BIN=${1:-$(cd "$(dirname "$0")/../../.." && pwd)/artifacts/bin}
RUNS=${2:-20}
[[ -x "$BIN/ci" ]] || { echo "Error: $BIN/ci not found (run ./build.sh publish, or pass the binary folder)" >&2; exit 1; }
BIN=$(cd "$BIN" && pwd) # the timed commands run in the project's folder
# shellcheck source=bench-env.sh
source "$(dirname "$0")/bench-env.sh"
PYTHON=${PYTHON:-/usr/bin/python3}
"$PYTHON" -c 'import pytest' 2>/dev/null || { echo "Error: $PYTHON has no pytest (apt-get install python3-pytest)" >&2; exit 1; }
# As root, jobs run as other users: they must reach the project's copy (mktemp makes the folder 0700).
chmod 755 "$TMP"
# shellcheck disable=SC2086
start_bench_server --python "$PYTHON" --job-network host --work-dir "$TMP/work" --concurrency 4 ${SERVER_ARGS:-}
export CI_SERVER_URL=http://127.0.0.1:$PORT CI_API_KEY=$KEY

PROJECT=$TMP/project
mkdir -p "$PROJECT"
if [[ -n "${SHARDS:-}" ]]; then
  for i in 1 2 3 4; do printf 'def test_%s_a():\n    pass\n\n\ndef test_%s_b():\n    pass\n' "$i" "$i" >"$PROJECT/test_$i.py"; done
else
  printf 'def test_one():\n    assert 1 + 1 == 2\n' >"$PROJECT/test_one.py"
fi
if [[ "${GIT:-0}" == 1 ]]; then
  git -C "$PROJECT" init -q && git -C "$PROJECT" add -A
  git -C "$PROJECT" -c user.name=bench -c user.email=bench@example.com commit -qm one
fi
chmod -R a+rX "$PROJECT"

"$PYTHON" - "$PROJECT" "$RUNS" "$BIN/ci" "$PYTHON" ${SHARDS:-} <<'PY'
import os, statistics, subprocess, sys, time
project, runs, ci, python, shards = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5:]
# The baseline leaves no .pytest_cache behind (it would be uploaded by the next submission).
commands = {
    "pytest": [python, "-m", "pytest", "-p", "no:cacheprovider"],
    "ci submit test": [ci, "submit", "test"],
}
for n in shards:
    commands[f"--shards {n}"] = [ci, "submit", "test", "--shards", n]
def run(argv):
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=project, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    elapsed = (time.perf_counter() - start) * 1000
    if done.returncode != 0:
        sys.exit(f"Error: {' '.join(argv)} exited {done.returncode}:\n{done.stdout.decode(errors='replace')}")
    return elapsed
for _ in range(3):  # warm-up: the environment cache, the uploaded contents, the page cache
    for argv in commands.values():
        run(argv)
times = {name: [] for name in commands}
for i in range(runs):
    # Taking turns, and which goes first alternates: a burst of load hits both alike.
    order = list(commands.items()) if i % 2 == 0 else list(reversed(list(commands.items())))
    for name, argv in order:
        times[name].append(run(argv))
print(f"{runs} runs each, taking turns; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} CPUs")
for name, values in times.items():
    print(f"{name:16} median {statistics.median(values):7.1f} ms  mean {statistics.mean(values):7.1f} ms  "
          f"min {min(values):7.1f} ms  max {max(values):7.1f} ms")
base, ours = statistics.median(times["pytest"]), statistics.median(times["ci submit test"])
print(f"difference (medians): {ours - base:+.1f} ms; ratio {ours / base:.2f}x")
for n in shards:
    sharded = statistics.median(times[f"--shards {n}"])
    print(f"--shards {n} against unsharded (medians): {sharded - ours:+.1f} ms for the job, {(sharded - ours) / int(n):+.1f} ms per shard")
PY
