#!/usr/bin/env bash
# Packing and incremental upload, whole processes, every figure against a baseline of the same run:
#  1. packing a generated tree (gen-tree.py: ~2,400 files / 36 MB, fixed seed) with `ci pack` against Python's
#     zipfile (deflate) and Info-ZIP `zip -r`: wall time (hyperfine), archive size, peak RSS;
#  2. `ci submit test --async` of that tree to a local server: first submission, an unchanged resubmission and
#     one after one file changed (bytes sent, counted by a loopback proxy; time; client peak RSS), and the
#     same against the server with incremental uploads off (--blob-store-mb 0: a plain zip).
# Usage: tests/Ci.Benchmarks/scripts/upload-bench.sh [BIN_DIR]   (default artifacts/bin, ./build.sh publish)
set -euo pipefail

BIN=$(cd "${1:-artifacts/bin}" && pwd)
SCRIPTS=$(cd "$(dirname "$0")" && pwd)
source "$SCRIPTS/bench-env.sh"
RUNS=${RUNS:-5}

TREE=$TMP/tree
python3 "$SCRIPTS/gen-tree.py" "$TREE" ${TREE_ARGS:-}
echo "tree: $(find "$TREE" -type f | wc -l) files, $(du -sb "$TREE" | cut -f1) bytes; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%FT%TZ)"

cat >"$TMP/pyzip.py" <<'PY'
import os, sys, zipfile
root, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "__pycache__")
        for name in sorted(filenames):
            if not name.startswith("."):
                full = os.path.join(dirpath, name)
                z.write(full, os.path.relpath(full, root))
PY

echo
echo "## 1. Packing"
cd "$TREE"
if [[ -n "${SKIP_PACK:-}" ]]; then echo "(skipped)"; else
hyperfine --runs "$RUNS" --warmup 1 --export-json "$TMP/pack.json" \
  -n "python3 zipfile" "python3 $TMP/pyzip.py $TREE $TMP/py.zip" \
  -n "zip -r" "rm -f $TMP/info.zip && zip -qr $TMP/info.zip ." \
  -n "ci pack" "$BIN/ci pack --output $TMP/ci.zip" >/dev/null
# Peak RSS in KiB and processor time (user + system) in ms of one run: "KIB MS". On a loaded machine the
# processor time is the steadier comparison; the wall time above includes waiting for a core.
peak() { /usr/bin/time -f "%M %U %S" "$@" 2>&1 >/dev/null | tail -1 | awk '{ printf "%d %d", $1, ($2 + $3) * 1000 }'; }
PY_RSS=$(peak python3 "$TMP/pyzip.py" "$TREE" "$TMP/py.zip")
ZIP_RSS=$(rm -f "$TMP/info.zip"; peak zip -qr "$TMP/info.zip" .)
CI_RSS=$(peak "$BIN/ci" pack --output "$TMP/ci.zip")
python3 - "$TMP" "$PY_RSS" "$ZIP_RSS" "$CI_RSS" <<'PY'
import json, os, sys
tmp = sys.argv[1]
measured = dict(zip(["python3 zipfile", "zip -r", "ci pack"], (tuple(map(int, a.split())) for a in sys.argv[2:5])))
rss = {k: v[0] for k, v in measured.items()}
cpu = {k: v[1] for k, v in measured.items()}
sizes = {"python3 zipfile": "py.zip", "zip -r": "info.zip", "ci pack": "ci.zip"}
results = {r["command"]: r for r in json.load(open(os.path.join(tmp, "pack.json")))["results"]}
base = results["python3 zipfile"]["mean"]
base_size = os.path.getsize(os.path.join(tmp, "py.zip"))
print("| packer | time (mean ± sd) | speed-up vs zipfile | processor time | vs zipfile | archive | size vs zipfile | peak RSS |")
print("|---|---|---|---|---|---|---|---|")
for name, r in results.items():
    size = os.path.getsize(os.path.join(tmp, sizes[name]))
    print(f"| {name} | {r['mean']*1000:.0f} ± {r['stddev']*1000:.0f} ms | {base / r['mean']:.2f}x | {cpu[name]} ms | {cpu['python3 zipfile'] / max(cpu[name], 1):.2f}x less | {size/1e6:.2f} MB | {size/base_size:.3f}x | {rss[name]/1024:.1f} MiB |")
PY
unzip -tq "$TMP/ci.zip" >/dev/null && echo "ci.zip: unzip -t OK"
fi

echo
echo "## 2. Submitting"
PROXY_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
submit_row() { # label
  local before after start end rss out
  before=$(cat "$TMP/count")
  start=$(date +%s%N)
  out=$( { /usr/bin/time -f "RSS %M" env CI_API_KEY="$KEY" CI_SERVER_URL="http://127.0.0.1:$PROXY_PORT" "$BIN/ci" submit test --async; } 2>&1 )
  end=$(date +%s%N)
  sleep 0.2
  after=$(cat "$TMP/count")
  rss=$(grep -o 'RSS [0-9]*' <<<"$out" | cut -d' ' -f2)
  local job; job=$(grep -o 'Job submitted: [0-9a-f-]*' <<<"$out" | cut -d' ' -f3)
  CI_API_KEY="$KEY" CI_SERVER_URL="http://127.0.0.1:$PORT" "$BIN/ci" cancel "$job" >/dev/null 2>&1 || true
  printf "| %s | %d | %d ms | %.1f MiB |\n" "$1" "$((after - before))" "$(((end - start) / 1000000))" "$(echo "$rss / 1024" | bc -l)"
}
run_submissions() { # server args...
  start_bench_server --work-dir "$TMP/work" --concurrency 1 "$@"
  rm -f "$TMP/count"
  python3 "$SCRIPTS/count-proxy.py" "$PROXY_PORT" "$PORT" "$TMP/count" & PROXY_PID=$!
  for _ in $(seq 50); do [[ -s "$TMP/count" ]] && break; sleep 0.1; done
  echo "| submission | bytes sent | time | client peak RSS |"
  echo "|---|---|---|---|"
  submit_row "first"
  submit_row "unchanged"
  python3 -c "import os, sys; open(sys.argv[1], 'r+b').write(os.urandom(4096))" "$(find "$TREE" -name '*.bin' | sort | head -1)"
  submit_row "one file changed ($(stat -c %s "$(find "$TREE" -name '*.bin' | sort | head -1)") bytes)"
  kill "$PROXY_PID"; wait "$PROXY_PID" 2>/dev/null || true
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
}
echo "incremental (default server):"
run_submissions
echo
echo "plain zip (server with --blob-store-mb 0, as an original server):"
run_submissions --blob-store-mb 0
