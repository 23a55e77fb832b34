#!/usr/bin/env bash
# Build, test, publish, package and demo the ci system. Usage: ./build.sh [build|test|publish|package|demo] (default: build)
set -euo pipefail
cd "$(dirname "$0")"

ROOT=$PWD
BIN="$ROOT/artifacts/bin"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

rid() {
  local os arch
  case "$(uname -s)" in
    Linux) os=linux ;;
    Darwin) os=osx ;;
    MINGW*|MSYS*|CYGWIN*) os=win ;;
    *) echo "Error: unsupported OS $(uname -s)" >&2; exit 1 ;;
  esac
  case "$(uname -m)" in
    x86_64|amd64) arch=x64 ;;
    aarch64|arm64) arch=arm64 ;;
    *) echo "Error: unsupported CPU $(uname -m)" >&2; exit 1 ;;
  esac
  echo "$os-$arch"
}

build() {
  dotnet build ci.slnx -c Release --nologo -v quiet
}

# Native AOT binaries ci, ci-server and ci-admin into artifacts/bin (what scripts and end-to-end tests use).
# RID picks the platform; OUT the folder; VERSION and BUILD_DATE (ISO UTC) stamp `--version` (defaults: the
# version in Directory.Build.props and the commit's date).
publish() {
  local r=${RID:-$(rid)} out=${OUT:-$BIN}
  local stamp=()
  [ -n "${VERSION:-}" ] && stamp+=("-p:Version=$VERSION")
  [ -n "${BUILD_DATE:-}" ] && stamp+=("-p:BuildDate=$BUILD_DATE")
  mkdir -p "$out"
  for project in cli/Ci.Cli.csproj server/Server/Ci.Server.csproj server/Admin/Ci.Admin.csproj; do
    dotnet publish "$project" -c Release -r "$r" -p:PublishAot=true ${stamp[@]+"${stamp[@]}"} --nologo -v quiet -o "$out"
  done
  rm -f "$out"/*.pdb "$out"/*.dbg "$out"/*.dsym
  rm -rf "$out"/*.dSYM
  echo "Published to $out:"
  ls -l "$out" | sed 1d
}

# The release archive of one platform, as the release workflow makes it: artifacts/release/ci-VERSION-RID.tar.gz
# (.zip for Windows) holding ci-VERSION-RID/bin/{ci,ci-server,ci-admin,native libraries} and README.md, plus a
# SHA256SUMS file covering every archive in artifacts/release.
package() {
  local r=${RID:-$(rid)}
  local version=${VERSION:-$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' Directory.Build.props | head -1)}
  local name="ci-$version-$r" release="$ROOT/artifacts/release"
  local stage="$ROOT/artifacts/package/$name"
  rm -rf "$stage"
  mkdir -p "$stage/bin" "$release"
  VERSION=$version OUT="$stage/bin" RID=$r publish >/dev/null
  cp README.md "$stage/"
  (
    cd "$ROOT/artifacts/package"
    case "$r" in
      win-*) rm -f "$release/$name.zip"; "$(command -v python3 || command -v python)" -m zipfile -c "$release/$name.zip" "$name" ;;
      *) tar -czf "$release/$name.tar.gz" --owner=0 --group=0 "$name" 2>/dev/null || tar -czf "$release/$name.tar.gz" "$name" ;;
    esac
  )
  checksums "$release"
  echo "Packaged $(ls "$release"/"$name".* | head -1):"
  "$stage/bin/ci$( [[ $r == win-* ]] && echo .exe)" --version 2>/dev/null || true
}

# SHA256SUMS in the format `sha256sum -c` reads, for every archive in the folder.
checksums() {
  (
    cd "$1"
    local files=(ci-*.tar.gz ci-*.zip)
    local present=()
    for f in "${files[@]}"; do [ -e "$f" ] && present+=("$f"); done
    if command -v sha256sum >/dev/null 2>&1; then sha256sum "${present[@]}"; else shasum -a 256 "${present[@]}"; fi > SHA256SUMS
  )
}

# Finds a Python with venv and pytest for the demo's job, installing Debian's packages when root.
job_python() {
  local candidates=("${CI_PYTHON:-}" /usr/bin/python3 python3)
  for p in "${candidates[@]}"; do
    [ -n "$p" ] || continue
    if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import venv, ensurepip, pytest' >/dev/null 2>&1; then
      command -v "$p"; return 0
    fi
  done
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing python3-venv and python3-pytest for the demo's job..." >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv python3-pytest) >&2
    /usr/bin/python3 -c 'import venv, ensurepip, pytest' >/dev/null 2>&1 && { echo /usr/bin/python3; return 0; }
  fi
  echo "Error: the demo's job needs Python 3 with venv and pytest: install python3-venv and python3-pytest (Debian/Ubuntu), or set CI_PYTHON." >&2
  return 1
}

# Runs the main job: `ci submit test` on examples/calculator against a local ci-server on its own SQLite store.
demo() {
  local python
  python=$(job_python)
  # Publish when a binary is missing or older than any source, so the demo never runs stale code.
  if [ ! -x "$BIN/ci" ] || [ ! -x "$BIN/ci-server" ] || [ ! -x "$BIN/ci-admin" ] ||
     [ -n "$(find core cli server Directory.Build.props Directory.Packages.props \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' \) \
             -not -path '*/obj/*' -not -path '*/bin/*' -newer "$BIN/ci-server" -print -quit)" ]; then
    publish
  fi
  local data port server_pid key status
  data=$(mktemp -d)
  export CI_DB_PATH="$data/ci.db"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null || echo 8765)
  "$BIN/ci-admin" user create --name "Demo User" --email demo@example.com >/dev/null
  key=$("$BIN/ci-admin" key create --email demo@example.com --name demo | sed -n 's/.*API Key: *\(ci_[A-Za-z0-9_-]*\).*/\1/p')
  "$BIN/ci-server" --port "$port" --python "$python" 2>"$data/server.log" &
  server_pid=$!
  trap 'kill $server_pid 2>/dev/null; wait $server_pid 2>/dev/null; rm -rf "$data"' EXIT
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    kill -0 $server_pid 2>/dev/null || { echo "Error: ci-server did not start:" >&2; cat "$data/server.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "ci-server on http://127.0.0.1:$port, store $CI_DB_PATH" >&2
  echo "\$ cd examples/calculator && ci submit test" >&2
  set +e
  (cd examples/calculator && CI_SERVER_URL="http://127.0.0.1:$port" CI_API_KEY="$key" "$BIN/ci" submit test)
  status=$?
  set -e
  echo "ci exited with $status" >&2
  exit $status
}

# Every test: unit, in-process server, and end-to-end over the published binaries.
test() {
  publish >/dev/null
  local python
  python=$(job_python) && export CI_TEST_PYTHON="$python"
  dotnet build ci.slnx -c Release --nologo -v quiet
  dotnet test --solution ci.slnx -c Release --no-build "$@"
}

verb=${1:-build}
shift || true
case "$verb" in
  build|test|publish|package|demo) "$verb" "$@" ;;
  checksums) checksums "${1:?folder}" ;;
  *) echo "Usage: ./build.sh [build|test|publish|package|demo]" >&2; exit 2 ;;
esac
