#!/usr/bin/env bash
# Command #2: every test. Checks the sources (`cargo fmt --check`, no unused dependency: scripts/unused-deps.py),
# installs what is missing (Chromium + ChromeDriver from apt, the wasm32 target, the pinned wasm-bindgen CLI,
# npm packages), then runs
#   1. the web build (scripts/build-web.sh --dist dist: the source tree's page and the folder to publish),
#      then starts in the background
#   2. the Playwright e2e suite (e2e/run.mjs) against the page served on 127.0.0.1, and beside it
#   3. the Playwright embedding suite (e2e/embed.mjs: the dist folder on one origin, the blog example and
#      <moment-lab> pages on another; the postMessage protocol; the folder's file list), while it runs
#   4. native `cargo test` (with the doctests), then `cargo clippy --all-targets -- -D warnings`, then
#      `cargo doc --no-deps` with warnings as errors (broken links, private items named in public docs)
#   5. `cargo test --target wasm32-unknown-unknown --test web` in headless Chromium (wasm-bindgen-test),
#      then clippy for wasm32 (the lib and tests/web.rs); then prints the two suites' logs.
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
step "setup: wasm-bindgen CLI (version from Cargo.lock)"
ensure_wasm_bindgen || { fail_stage setup-wasm-bindgen; summary "0 passed, 1 failed"; }
step "setup: npm ci (playwright-core, esbuild, binaryen)"
ensure_npm || { fail_stage setup-npm; summary "0 passed, 1 failed"; }
step "js: node --test tests/js/ (URL-hash fuzz, result formatters, embed options)"
node --test tests/js/ || fail_stage js-unit

# The page first: the two e2e suites then run in the background (each case mostly waits on one wasm worker)
# while the native and wasm cargo stages below fill the cores; their logs are printed at the end.
# E2E_SERIAL=1: the suites run one after the other, at the end, alone.
step "web build (+ dist/)"
web_built=1
bash scripts/build-web.sh --dist dist || { fail_stage web-build; web_built=0; }
e2e_log="$(mktemp)"
embed_log="$(mktemp)"
e2e_pid=""
embed_pid=""
if [ "$web_built" = 1 ] && [ "${E2E_SERIAL:-0}" != 1 ]; then
  step "e2e + e2e-embed: started in the background (their logs follow the cargo stages)"
  node e2e/run.mjs >"$e2e_log" 2>&1 &
  e2e_pid=$!
  node e2e/embed.mjs >"$embed_log" 2>&1 &
  embed_pid=$!
  trap 'kill ${e2e_pid:-} ${embed_pid:-} 2>/dev/null' EXIT   # if this script ends first
fi

# The test profile (Cargo.toml: opt-level 3, no debug info), not --release: code as fast for the tests, without
# fat LTO into one codegen unit for each of the dozen test binaries (a third less CPU time, cold).
step "native: cargo test"
cargo test || fail_stage native-tests
step "lint: cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets -- -D warnings || fail_stage clippy
step "lint: cargo doc --no-deps without warnings (the crate front page's doctest ran with cargo test)"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps || fail_stage doc

# The test profile, not --release: with --release the test build and the web build want the lib with
# different dependency features (wasm-bindgen-test's), share its unhashed .wasm output and rebuild each other
# on every run (40 s of a warm run).
step "browser: cargo test --target $TARGET --test web (headless Chromium)"
cargo test --target "$TARGET" --test web || fail_stage wasm-browser-tests
step "lint: cargo clippy --target $TARGET --lib --test web -- -D warnings"
cargo clippy --target "$TARGET" --lib --test web -- -D warnings || fail_stage clippy-wasm

[ "$web_built" = 1 ] || summary "0 passed, 1 failed"

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

if [ "${E2E_SERIAL:-0}" = 1 ]; then
  step "e2e: playwright-core + Debian chromium"
  node e2e/run.mjs 2>&1 | tee "$e2e_log"
  tally_suite e2e "$e2e_log" "${PIPESTATUS[0]}"
  step "e2e-embed: dist/ across origins, <moment-lab>, the blog example and the postMessage protocol"
  node e2e/embed.mjs 2>&1 | tee "$embed_log"
  tally_suite e2e-embed "$embed_log" "${PIPESTATUS[0]}"
else
  step "e2e: playwright-core + Debian chromium (waiting for the background run)"
  wait "$e2e_pid"
  e2e_rc=$?
  cat "$e2e_log"
  tally_suite e2e "$e2e_log" "$e2e_rc"
  step "e2e-embed: dist/ across origins, <moment-lab>, the blog example and the postMessage protocol (ran alongside)"
  wait "$embed_pid"
  embed_rc=$?
  e2e_pid=""
  embed_pid=""
  cat "$embed_log"
  tally_suite e2e-embed "$embed_log" "$embed_rc"
fi
rm -f "$e2e_log" "$embed_log"

# One line for both suites: the sums of their counts.
summary "$passed_total passed, $failed_total failed"
