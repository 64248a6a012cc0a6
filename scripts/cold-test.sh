#!/usr/bin/env bash
# The README's test-time figures: scripts/test.sh (= .ci/run) from a fresh clone of this checkout's HEAD, with
# no target/, no node_modules and an empty wasm tool cache (cold), then the same command again (warm).
# Prints both times and the 1-minute load average before and after each; the clone is left in $DIR.
#   usage: scripts/cold-test.sh [DIR]     (default: a new temporary directory)
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
dir="${1:-$(mktemp -d)}"
tools="$(mktemp -d)"
git clone -q "$src" "$dir/lab"
cd "$dir/lab"
load() { cut -d' ' -f1 /proc/loadavg; }
for run in cold warm; do
  before=$(load); start=$(date +%s)
  if WASM_TOOLS_DIR="$tools" bash .ci/run > "$dir/$run.log" 2>&1; then rc=0; else rc=$?; fi
  echo "$run: exit $rc, $(( $(date +%s) - start )) s, load $before -> $(load) (log: $dir/$run.log)"
done
