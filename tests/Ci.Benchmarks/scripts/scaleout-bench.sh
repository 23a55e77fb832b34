#!/usr/bin/env bash
# Scaling out on PostgreSQL (issue 10), whole processes: jobs per minute with 1 runner process and with 2, and how
# long a log line takes from a runner to a watcher on another API replica. Starts a private PostgreSQL cluster (initdb
# in a temp folder, a loopback port, trust authentication, no password file; as root it runs as nobody, like the
# tests), one database per round, API replicas (--role api) and runners (--role runner) from the published binaries.
# Prints a Markdown section on stdout (progress on stderr). Exits 0 with a one-line note when PostgreSQL is missing.
#
# Usage: tests/Ci.Benchmarks/scripts/scaleout-bench.sh [BIN_DIR]   (default artifacts/bin, after ./build.sh publish)
#   JOBS=N          jobs per round (default 60: a tiny pytest project each); CONCURRENCY=N per runner (default 2)
#   PYTHON          (default /usr/bin/python3) must have pytest; CI_PG_BIN the PostgreSQL programs folder
#   (default: pg_config --bindir, /usr/lib/postgresql/<newest>/bin, PATH). Needs curl and python3.
set -euo pipefail

BIN=$(cd "${1:-artifacts/bin}" && pwd)
JOBS=${JOBS:-60}
CONCURRENCY=${CONCURRENCY:-2}
PYTHON=${PYTHON:-/usr/bin/python3}
say() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }

find_pg_bin() {
  local dir
  for dir in "${CI_PG_BIN:-}" "$(pg_config --bindir 2>/dev/null || true)" $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -rn) $(tr ':' ' ' <<<"$PATH"); do
    [[ -n "$dir" && -x "$dir/initdb" && -x "$dir/pg_ctl" ]] && { echo "$dir"; return 0; }
  done
  return 1
}
if ! PG_BIN=$(find_pg_bin); then
  printf '%s\n' "## Scaling out (PostgreSQL)" "" "Not measured: PostgreSQL is not installed (initdb/pg_ctl not found; apt-get install postgresql, or set CI_PG_BIN)."
  exit 0
fi
for tool in ci-server ci-admin; do
  [[ -x "$BIN/$tool" ]] || { echo "Error: $BIN/$tool not found (run ./build.sh publish, or pass the binary folder)" >&2; exit 1; }
done
"$PYTHON" -c 'import pytest' 2>/dev/null || { echo "Error: $PYTHON has no pytest (apt-get install python3-pytest)" >&2; exit 1; }

TMP=$(mktemp -d)
# The cluster runs as nobody when we are root (PostgreSQL refuses root); jobs of a root server run as nobody too.
chmod 711 "$TMP"
AS_PG=()
[[ $(id -u) == 0 ]] && AS_PG=(setpriv --reuid=nobody --regid=nogroup --clear-groups --)
PIDS=()
NODE_PORTS=()
cleanup() {
  local pid port
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  # A process on a shared store keeps checked uploads in a temp folder named after its port.
  for port in "${NODE_PORTS[@]}"; do rm -rf "${TMPDIR:-/tmp}/ci-incoming-$port" "${TMPDIR:-/tmp}/ci-uploads-$port.blobs"; done
  [[ -f "$TMP/pg/data/postmaster.pid" ]] && "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$TMP/pg/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$TMP"
}
trap cleanup EXIT
unset PGPASSWORD PGPASSFILE PGHOST PGPORT PGUSER PGDATABASE PGSERVICE
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

say "starting a private PostgreSQL cluster ($PG_BIN)"
mkdir -p "$TMP/pg"
[[ $(id -u) == 0 ]] && chown nobody:nogroup "$TMP/pg"
"${AS_PG[@]}" "$PG_BIN/initdb" -D "$TMP/pg/data" -U ci --auth=trust --no-sync -E UTF8 --locale=C >/dev/null
PG_PORT=$(free_port)
# The same settings as the tests' cluster: durability off (fsync, synchronous commit), sockets in our folder only.
"${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$TMP/pg/data" -l "$TMP/pg/server.log" -w -t 60 \
  -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $TMP/pg -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
  start >/dev/null

# A tiny project: one passing test that takes about 0.3 s, so runners, not pytest start-up alone, set the pace.
PROJECT_ZIP=$TMP/project.zip
python3 - "$PROJECT_ZIP" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr("test_job.py", "import time\n\n\ndef test_job():\n    time.sleep(0.3)\n    assert 1 + 1 == 2\n")
PY

start_node() { # NAME ROLE URI ARGS... -> sets NODE_PORT
  local name=$1 role=$2 uri=$3
  shift 3
  NODE_PORT=$(free_port)
  "$BIN/ci-server" --host 127.0.0.1 --port "$NODE_PORT" --db "$uri" --role "$role" --python "$PYTHON" \
    --work-dir "$TMP/work-$name" --job-network host --submit-rate 0 "$@" >"$TMP/$name.log" 2>&1 &
  PIDS+=($!)
  NODE_PORTS+=("$NODE_PORT")
  for _ in $(seq 300); do
    curl -fs "http://127.0.0.1:$NODE_PORT/health" >/dev/null && return 0
    sleep 0.1
  done
  echo "Error: $name did not start:" >&2; cat "$TMP/$name.log" >&2; exit 1
}
stop_nodes() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  PIDS=()
}
new_database() { # NAME -> sets URI and KEY
  "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U ci "$1"
  URI="postgresql://ci@127.0.0.1:$PG_PORT/$1"
  "$BIN/ci-admin" --db "$URI" user create --name Bench --email bench@example.com >/dev/null
  KEY=$("$BIN/ci-admin" --db "$URI" key create --email bench@example.com --name bench | grep -o 'ci_[A-Za-z0-9_-]*' | head -1)
  [[ -n "$KEY" ]] || { echo "Error: could not create an API key" >&2; exit 1; }
}

# Submits JOBS jobs to the replica (8 at a time) and waits until all have ended; prints "seconds passed-count".
run_jobs() { # API_PORT
  python3 - "$1" "$KEY" "$JOBS" "$PROJECT_ZIP" <<'PY'
import concurrent.futures, json, sys, time, urllib.request, uuid
port, key, count, zip_path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
base = f"http://127.0.0.1:{port}"
data = open(zip_path, "rb").read()
def request(path, body=None, headers=None):
    req = urllib.request.Request(base + path, data=body, headers={"Authorization": f"Bearer {key}", **(headers or {})})
    with urllib.request.urlopen(req, timeout=60) as response:
        return json.load(response)
def submit(_):
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"project.zip\"\r\n"
            f"Content-Type: application/zip\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return request("/submit-async", body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})["job_id"]
start = time.monotonic()
with concurrent.futures.ThreadPoolExecutor(8) as pool:
    ids = set(pool.map(submit, range(count)))
deadline = start + 900
while True:
    jobs = [j for j in request("/jobs?limit=1000") if j["job_id"] in ids]
    if len(jobs) == count and all(j["status"] in ("completed", "failed", "cancelled") for j in jobs):
        break
    if time.monotonic() > deadline:
        sys.exit("jobs did not end within 900 s")
    time.sleep(0.05)
elapsed = time.monotonic() - start
print(f"{elapsed:.2f} {sum(j['status'] == 'completed' and j['success'] for j in jobs)}")
PY
}

round() { # RUNNERS -> prints "seconds passed"
  local runners=$1 api i
  new_database "bench_$runners"
  start_node "api-$runners" api "$URI"
  api=$NODE_PORT
  for i in $(seq "$runners"); do start_node "runner-$runners-$i" runner "$URI" --concurrency "$CONCURRENCY"; done
  # One warm-up job: the first pytest run of a fresh process is slower (imports, page cache).
  JOBS=1 run_jobs "$api" >/dev/null
  run_jobs "$api"
  stop_nodes
}

say "1 runner process (--concurrency $CONCURRENCY), $JOBS jobs"
round 1 >"$TMP/round-1"
read -r one_s one_ok <"$TMP/round-1"
say "2 runner processes (--concurrency $CONCURRENCY each), $JOBS jobs"
round 2 >"$TMP/round-2"
read -r two_s two_ok <"$TMP/round-2"

# Log latency across processes: a job prints "tick n <unix time>" every 30 ms on the runner; a watcher on replica B
# (the job was submitted to replica A) notes when each line arrives.
say "replica-to-replica log latency"
new_database bench_latency
start_node api-a api "$URI"; api_a=$NODE_PORT
start_node api-b api "$URI"; api_b=$NODE_PORT
start_node runner-l runner "$URI" --concurrency 1
latency=$(python3 - "$api_a" "$api_b" "$KEY" <<'PY'
import io, json, sys, time, urllib.request, uuid, zipfile
a, b, key = sys.argv[1], sys.argv[2], sys.argv[3]
buffer = io.BytesIO()
with zipfile.ZipFile(buffer, "w") as z:
    z.writestr("test_ticker.py", "import time\n\n\ndef test_ticks(capsys):\n    for n in range(300):\n"
               "        with capsys.disabled():\n            print(f'tick {n} {time.time():.6f}', flush=True)\n        time.sleep(0.03)\n")
boundary = uuid.uuid4().hex
body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"project.zip\"\r\n"
        f"Content-Type: application/zip\r\n\r\n").encode() + buffer.getvalue() + f"\r\n--{boundary}--\r\n".encode()
auth = {"Authorization": f"Bearer {key}"}
req = urllib.request.Request(f"http://127.0.0.1:{a}/submit-async", data=body, headers={**auth, "Content-Type": f"multipart/form-data; boundary={boundary}"})
job = json.load(urllib.request.urlopen(req, timeout=60))["job_id"]
stream = urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{b}/jobs/{job}/stream?from_beginning=true", headers=auth), timeout=120)
latencies = []
for raw in stream:
    line = raw.decode().rstrip("\n")
    if not line.startswith("data: "):
        continue
    arrived = time.time()
    event = json.loads(line[6:])
    if event.get("type") == "complete":
        break
    for text in event.get("data", "").split("\n"):
        parts = text.split(" ")
        if len(parts) == 3 and parts[0] == "tick":
            latencies.append((arrived - float(parts[2])) * 1000)
# Lines printed before the watcher connected (the job's first moments) arrive as a replay: leave out the first 10.
live = sorted(latencies[10:])
if not live:
    sys.exit("no tick lines seen")
p = lambda q: live[min(len(live) - 1, int(len(live) * q))]
print(f"{p(0.5):.1f} {p(0.99):.1f} {live[-1]:.1f} {len(live)}")
PY
)
stop_nodes
read -r lat_p50 lat_p99 lat_max lat_n <<<"$latency"

# A sharded suite across both runner processes (issue 16): shard-bench.sh's 40 tests that sleep 0.1-1.0 s, with `ci
# submit test` unsharded, then --shards 4 twice (the first records every test's duration for the second), on two
# runner processes of --concurrency 2: the shards are parts of the job that either runner takes.
say "a sharded suite over 2 runner processes"
new_database bench_shards
start_node api-s api "$URI"; api_s=$NODE_PORT
start_node runner-s1 runner "$URI" --concurrency 2
start_node runner-s2 runner "$URI" --concurrency 2
read -r suite_total suite_longest < <("$PYTHON" "$(dirname "$0")/sleep-suite.py" "$TMP/suite" 40 0.1 1.0)
mkdir -p "$TMP/one/tests" && printf 'def test_one():\n    pass\n' >"$TMP/one/tests/test_one.py"
shard_wall() { # DIR ARGS... -> wall seconds of one passing `ci submit test`
  local dir=$1 start end; shift
  start=$(date +%s.%N)
  (cd "$dir" && CI_SERVER_URL=http://127.0.0.1:$api_s CI_API_KEY=$KEY "$BIN/ci" submit test "$@" >"$TMP/shard.log" 2>&1) \
    || { echo "Error: the sharded job failed:" >&2; cat "$TMP/shard.log" >&2; exit 1; }
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }'
}
shard_wall "$TMP/one" --project warm-up >/dev/null
shard_fixed=$(shard_wall "$TMP/one" --project one)
shard_plain=$(shard_wall "$TMP/suite" --project plain)
shard_cold=$(shard_wall "$TMP/suite" --shards 4 --project sharded)
shard_warm=$(shard_wall "$TMP/suite" --shards 4 --project sharded)
# Which runner process ran which shard of the last job (the job's own runner takes parts too).
shard_spread=$(grep -ho 'Shard [0-9]*/4 of job [0-9a-f-]* claimed by runner [^ ]*' "$TMP"/runner-s*.log | tail -4 | awk '{print $NF}' | sort | uniq -c | awk '{printf "%s%s", sep, $1; sep=" + "}')
stop_nodes
shard_ideal=$(awk -v t="$suite_total" -v l="$suite_longest" -v f="$shard_fixed" 'BEGIN { i = t / 4; if (l > i) i = l; printf "%.2f", i + f }')
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

per_min() { awk -v n="$JOBS" -v s="$1" 'BEGIN { printf "%.0f", 60 * n / s }'; }
one_rate=$(per_min "$one_s"); two_rate=$(per_min "$two_s")
pg_version=$("$PG_BIN/postgres" --version | awk '{print $3}')
printf '%s\n' "## Scaling out (PostgreSQL)" "" \
  "\`scaleout-bench.sh\`: one API replica (\`--role api\`) and runner processes (\`--role runner --concurrency $CONCURRENCY\`)" \
  "on one database of a private PostgreSQL $pg_version cluster (fsync off), all on this machine ($(nproc) cores)." \
  "$JOBS jobs submitted with \`POST /submit-async\` (8 at a time), each a pytest run of one 0.3 s test; the time runs from" \
  "the first submission until every job has ended. Baseline: 1 runner process." "" \
  "| runner processes | jobs passed | time | jobs/minute | ratio |" "|---|---|---|---|---|" \
  "| 1 | $one_ok/$JOBS | ${one_s} s | $one_rate | 1.00x |" \
  "| 2 | $two_ok/$JOBS | ${two_s} s | $two_rate | **$(awk -v a="$two_rate" -v b="$one_rate" 'BEGIN { printf "%.2f", a / b }')x** |" "" \
  "Log latency across processes: a job submitted to replica A prints a timestamped line every 30 ms on the runner;" \
  "a watcher on replica B notes when each arrives ($lat_n live lines)." "" \
  "| p50 | p99 | max |" "|---|---|---|" \
  "| $lat_p50 ms | **$lat_p99 ms** | $lat_max ms |" "" \
  "A sharded suite on two runner processes (\`--concurrency 2\` each): 40 tests sleeping 0.1-1.0 s (${suite_total} s in all," \
  "longest ${suite_longest} s), \`ci submit test\` wall time; ideal \`max(total / 4, longest) + fixed cost\` = ${shard_ideal} s" \
  "(fixed cost: a one-test job, ${shard_fixed} s). Parts of the last job taken by each runner process: ${shard_spread}." "" \
  "| run | wall | ratio to the ideal |" "|---|---|---|" \
  "| unsharded | ${shard_plain} s | $(ratio "$shard_plain" "$shard_ideal")x |" \
  "| \`--shards 4\`, no history | ${shard_cold} s | $(ratio "$shard_cold" "$shard_ideal")x |" \
  "| \`--shards 4\`, with history | ${shard_warm} s | **$(ratio "$shard_warm" "$shard_ideal")x** |"
