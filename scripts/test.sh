#!/usr/bin/env bash
# Command #2: every test. Installs what is missing (Chromium + ChromeDriver from apt, the wasm32 target, the
# pinned wasm-bindgen CLI, npm packages), then runs
#   1. native `cargo test --release`
#   2. the web build (scripts/build-web.sh)
#   3. `cargo test --target wasm32-unknown-unknown --test web` in headless Chromium (wasm-bindgen-test)
#   4. the Playwright e2e suite (e2e/run.mjs) against the page served on 127.0.0.1
#   5. the Playwright embedding suite (e2e/embed.mjs: <moment-lab>, the blog example, postMessage protocol)
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

step "setup: chromium + chromedriver (apt when missing)"
ensure_chromium || { fail_stage setup-chromium; summary "0 passed, 1 failed"; }
step "setup: rust target $TARGET"
ensure_wasm_target || { fail_stage setup-target; summary "0 passed, 1 failed"; }
step "setup: wasm-bindgen CLI (version from Cargo.lock)"
ensure_wasm_bindgen || { fail_stage setup-wasm-bindgen; summary "0 passed, 1 failed"; }
step "setup: npm ci (playwright-core, binaryen)"
ensure_npm || { fail_stage setup-npm; summary "0 passed, 1 failed"; }

step "native: cargo test --release"
cargo test --release || fail_stage native-tests

step "web build"
if ! bash scripts/build-web.sh; then
  fail_stage web-build
  summary "0 passed, 1 failed"
fi

step "browser: cargo test --target $TARGET --test web (headless Chromium)"
cargo test --target "$TARGET" --test web || fail_stage wasm-browser-tests

step "e2e: playwright-core + Debian chromium"
e2e_log="$(mktemp)"
node e2e/run.mjs 2>&1 | tee "$e2e_log"
e2e_rc=${PIPESTATUS[0]}
line="$(grep -E '^e2e: [0-9]+ passed, [0-9]+ failed$' "$e2e_log" | tail -n 1)"
rm -f "$e2e_log"
[ -n "$line" ] || line="e2e: 0 passed, 1 failed"
[ "$e2e_rc" = 0 ] || fail_stage e2e

step "e2e-embed: <moment-lab>, the blog example and the postMessage protocol"
embed_log="$(mktemp)"
node e2e/embed.mjs 2>&1 | tee "$embed_log"
embed_rc=${PIPESTATUS[0]}
embed_line="$(grep -E '^e2e-embed: [0-9]+ passed, [0-9]+ failed$' "$embed_log" | tail -n 1)"
rm -f "$embed_log"
[ -n "$embed_line" ] || embed_line="e2e-embed: 0 passed, 1 failed"
[ "$embed_rc" = 0 ] || fail_stage e2e-embed

# One line for both suites: the sums of their counts.
read -r p1 f1 <<<"$(echo "$line" | sed -E 's/^e2e: ([0-9]+) passed, ([0-9]+) failed$/\1 \2/')"
read -r p2 f2 <<<"$(echo "$embed_line" | sed -E 's/^e2e-embed: ([0-9]+) passed, ([0-9]+) failed$/\1 \2/')"
summary "$((p1 + p2)) passed, $((f1 + f2)) failed"
