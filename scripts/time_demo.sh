#!/usr/bin/env bash
# Times `make demo` in a fresh clone of this repository: from the command to the first page served,
# twice: setup not yet done there, then with setup done but the WASM build and build/web removed.
# ccache is off so that both runs compile. Debian packages are whatever this machine has.
# usage: scripts/time_demo.sh [PORT]    (README.md quotes the result)
set -euo pipefail
cd "$(dirname "$0")/.."
port=${1:-8199}
repo=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone -q "$repo" "$work/main"
ln -s "$(cd "$repo/.." && pwd)/shared" "$work/shared"
export CCACHE_DISABLE=1

serve_time() {   # label
  local start end pid
  start=$(date +%s.%N)
  setsid make -C "$work/main" demo PORT="$port" >"$work/demo.log" 2>&1 &
  pid=$!
  until curl -sf -o /dev/null "http://127.0.0.1:$port/"; do
    sleep 0.5
    kill -0 "$pid" 2>/dev/null || { tail -5 "$work/demo.log" >&2; echo "time_demo: make demo exited" >&2; exit 1; }
  done
  end=$(date +%s.%N)
  kill -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  printf '%-60s %6.1f s\n' "$1" "$(echo "$end - $start" | bc)"
}

serve_time "fresh clone, setup not done there"
rm -rf "$work/main/build-wasm" "$work/main/build/web"
serve_time "setup done, WASM build and build/web removed"
