# Shared by the whole-process benchmark scripts (source it after setting BIN): a temp folder removed on
# exit, a store with one user and key (KEY), create_bench_store DIR for another one (sets CI_DB_PATH and
# KEY), start_bench_server ARGS... which starts ci-server on a free port (PORT, SERVER_PID) and waits for
# /health, and stop_bench_server.
for tool in ci-server ci-admin; do
  [[ -x "$BIN/$tool" ]] || { echo "Error: $BIN/$tool not found (run ./build.sh publish, or pass the binary folder)" >&2; exit 1; }
done

TMP=$(mktemp -d)
SERVER_PID=
cleanup() {
  [[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT

create_bench_store() {
  mkdir -p "$1"
  export CI_DB_PATH=$1/ci.db
  "$BIN/ci-admin" user create --name Bench --email bench@example.com >/dev/null
  KEY=$("$BIN/ci-admin" key create --email bench@example.com --name bench | grep -o 'ci_[A-Za-z0-9_-]*' | head -1)
  [[ -n "$KEY" ]] || { echo "Error: could not create an API key" >&2; exit 1; }
}
create_bench_store "$TMP"

start_bench_server() {
  PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "$BIN/ci-server" --port "$PORT" "$@" >"$TMP/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 100); do
    curl -fs "http://127.0.0.1:$PORT/health" >/dev/null && return 0
    sleep 0.1
  done
  echo "Error: server did not start:" >&2; cat "$TMP/server.log" >&2; exit 1
}

stop_bench_server() {
  [[ -n "$SERVER_PID" ]] && { kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null || true; }
  SERVER_PID=
}
