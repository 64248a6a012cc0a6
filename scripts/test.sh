#!/usr/bin/env bash
# Command #2: every test. Checks the sources (`cargo fmt --check`, no unused dependency: scripts/unused-deps.py),
# installs what is missing (Chromium + ChromeDriver from apt, the wasm32 target, npm packages), runs the JS unit
# tests, then two lanes side by side:
#   web lane (background): the pinned wasm-bindgen CLI, the web build (scripts/build-web.sh --dist dist: the
#     source tree's page and the folder to publish), then the Playwright e2e suite (e2e/run.mjs) against the
#     page served on 127.0.0.1 and, beside it, the embedding suite (e2e/embed.mjs: the dist folder on one
#     origin, the blog example and <moment-lab> pages on another; the postMessage protocol; the file list);
#   cargo lane: native `cargo test` (with the doctests), `cargo clippy --all-targets -- -D warnings`,
#     `cargo doc --no-deps` with warnings as errors, then `cargo test --target wasm32-unknown-unknown --test web`
#     in headless Chromium (wasm-bindgen-test) and clippy for wasm32 (the lib and tests/web.rs).
# The web lane's log (with both suites' output) is printed after the cargo lane's.
# Every stage is named in the log ("=== [seconds since start] stage") and, when it fails, in the summary. The
# suites check behaviour only; how fast the page is, is `npm run budgets` (bench/budgets.mjs).
# Every stage runs even if an earlier test stage failed (a failed build skips what needs it). The last line
# is "N passed, M failed" for both e2e suites together; the exit code is non-zero on any failure anywhere.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"

failures=()
fail_stage() { failures+=("$1"); echo "!!! stage failed: $1"; }

summary() {
  local e2e_line="$1"
  echo
  step "finished"
  if [ ${#failures[@]} -gt 0 ]; then echo "failed stages: ${failures[*]}"; else echo "all stages passed"; fi
  echo "$e2e_line"
  [ ${#failures[@]} -eq 0 ]
  exit
}

step "lint: cargo fmt --check"
cargo fmt --check || fail_stage fmt
step "lint: unused dependencies (scripts/unused-deps.py)"
python3 scripts/unused-deps.py || fail_stage unused-deps

step "setup: chromium + chromedriver (apt when missing)"
ensure_chromium || { fail_stage setup-chromium; summary "0 passed, 1 failed"; }
step "setup: rust target $TARGET"
ensure_wasm_target || { fail_stage setup-target; summary "0 passed, 1 failed"; }
step "setup: npm ci (playwright-core, esbuild, binaryen)"
ensure_npm || { fail_stage setup-npm; summary "0 passed, 1 failed"; }
step "js: node --test tests/js/ (URL-hash fuzz, result formatters, embed options)"
node --test tests/js/ || fail_stage js-unit

# Two lanes, so that the two cores stay busy (the compilers' single-threaded phases, the wasm release build's
# LTO, the suites' waits on one wasm worker):
#   the web lane, in the background: the wasm-bindgen CLI (compiled once), the web build (its own target
#     directory, target/web, so that it does not wait for the native build's lock), then the e2e suite and
#     the embedding suite side by side; its log is printed at the end;
#   the cargo lane, here: native tests, clippy, cargo doc, then (once the CLI is installed) the wasm tests in
#     Chromium and clippy for wasm32.
# E2E_SERIAL=1: one lane after the other, and the two suites one after the other.
lane="$(mktemp -d)"
web_lane() {
  step "setup: wasm-bindgen CLI (version from Cargo.lock)"
  ensure_wasm_bindgen || { echo setup-wasm-bindgen >"$lane/failed"; return; }
  touch "$lane/cli"
  step "web build (+ dist/)"
  bash scripts/build-web.sh --dist dist || { echo web-build >"$lane/failed"; return; }
  touch "$lane/built"
  if [ "${E2E_SERIAL:-0}" = 1 ]; then
    step "e2e: playwright-core + Debian chromium"
    node e2e/run.mjs >"$lane/e2e.log" 2>&1; echo $? >"$lane/e2e.rc"
    step "e2e-embed: dist/ across origins, <moment-lab>, the blog example and the postMessage protocol"
    node e2e/embed.mjs >"$lane/embed.log" 2>&1; echo $? >"$lane/embed.rc"
  else
    step "e2e + e2e-embed side by side: playwright-core + Debian chromium; dist/ across origins, <moment-lab>," \
      "the blog example and the postMessage protocol"
    node e2e/embed.mjs >"$lane/embed.log" 2>&1 &
    local embed_pid=$!
    node e2e/run.mjs >"$lane/e2e.log" 2>&1; echo $? >"$lane/e2e.rc"
    wait "$embed_pid"; echo $? >"$lane/embed.rc"
  fi
  step "web lane finished"
}
if [ "${E2E_SERIAL:-0}" = 1 ]; then
  web_lane >"$lane/web.log" 2>&1
  web_pid=""
else
  step "web lane started in the background (wasm-bindgen CLI, web build, e2e suites; its log follows the cargo lane's)"
  web_lane >"$lane/web.log" 2>&1 &
  web_pid=$!
  trap '[ -z "${web_pid:-}" ] || pkill -P "$web_pid" 2>/dev/null; [ -z "${web_pid:-}" ] || kill "$web_pid" 2>/dev/null' EXIT
fi

# The test profile (Cargo.toml: opt-level 3, no debug info), not --release: code as fast for the tests, without
# fat LTO into one codegen unit for each of the dozen test binaries (a third less CPU time, cold).
step "native: cargo test"
cargo test || fail_stage native-tests
step "lint: cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets -- -D warnings || fail_stage clippy
step "lint: cargo doc --no-deps without warnings (the crate front page's doctest ran with cargo test)"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps || fail_stage doc

# The browser tests need the CLI's wasm-bindgen-test-runner.
while [ -n "${web_pid:-}" ] && [ ! -e "$lane/cli" ] && [ ! -e "$lane/failed" ] && kill -0 "$web_pid" 2>/dev/null; do sleep 1; done
if [ -e "$lane/cli" ]; then
  step "browser: cargo test --target $TARGET --test web (headless Chromium)"
  cargo test --target "$TARGET" --test web || fail_stage wasm-browser-tests
fi
step "lint: cargo clippy --target $TARGET --lib --test web -- -D warnings"
cargo clippy --target "$TARGET" --lib --test web -- -D warnings || fail_stage clippy-wasm

step "waiting for the web lane"
[ -z "${web_pid:-}" ] || wait "$web_pid"
web_pid=""
cat "$lane/web.log"
if [ -e "$lane/failed" ]; then fail_stage "$(cat "$lane/failed")"
elif [ ! -e "$lane/built" ]; then fail_stage web-lane   # it died without saying where
fi

# Adds the counts of one finished e2e suite to the totals: its log's last "NAME: P passed, F failed" line (a
# suite that died without that line counts as one failure); a non-zero exit status fails its stage.
passed_total=0
failed_total=0
tally_suite() {
  local name="$1" log="$2" rc="$3" counts p f
  counts="$(grep -E "^$name: [0-9]+ passed, [0-9]+ failed$" "$log" | tail -n 1 | sed -E 's/^[^:]+: ([0-9]+) passed, ([0-9]+) failed$/\1 \2/')"
  [ -n "$counts" ] || counts="0 1"
  read -r p f <<<"$counts"
  passed_total=$((passed_total + p))
  failed_total=$((failed_total + f))
  [ "$rc" = 0 ] || fail_stage "$name"
}
if [ ! -e "$lane/built" ]; then
  rm -rf "$lane"
  summary "0 passed, 1 failed"
fi
echo "--- e2e (log of the web lane's suite)"
cat "$lane/e2e.log"
tally_suite e2e "$lane/e2e.log" "$(cat "$lane/e2e.rc" 2>/dev/null || echo 1)"
echo "--- e2e-embed"
cat "$lane/embed.log"
tally_suite e2e-embed "$lane/embed.log" "$(cat "$lane/embed.rc" 2>/dev/null || echo 1)"
rm -rf "$lane"

# One line for both suites: the sums of their counts.
summary "$passed_total passed, $failed_total failed"
