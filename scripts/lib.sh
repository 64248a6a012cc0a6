# Shared helpers for scripts/*.sh (sourced, not run). Each ensure_* installs one tool only when it is missing
# or at the wrong version, so a warm machine pays almost nothing and a fresh Debian machine with Rust,
# node/npm, python3 and apt gets everything it needs.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET=wasm32-unknown-unknown
# cargo-installed CLIs live outside the repo so `cargo clean` keeps them; reused when the version matches.
TOOLS="${WASM_TOOLS_DIR:-$HOME/.cache/wasm-tools}"
export PATH="$TOOLS/bin:$HOME/.cargo/bin:$PATH"

# Seconds since the outermost script started (shared with nested scripts through the environment).
export MOMENT_LAB_T0="${MOMENT_LAB_T0:-$(date +%s)}"
step() { echo "=== [$(($(date +%s) - MOMENT_LAB_T0))s] $*"; }
die() { echo "error: $*" >&2; exit 1; }

ensure_wasm_target() {
  rustup target list --installed | grep -qx "$TARGET" || rustup target add "$TARGET"
}

# The CLI must be exactly the version of the wasm-bindgen crate in Cargo.lock.
wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' "$ROOT/Cargo.lock"
}

ensure_wasm_bindgen() {
  local want
  want="$(wasm_bindgen_version)"
  [ -n "$want" ] || die "no wasm-bindgen entry in Cargo.lock"
  if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $want" ] \
     || ! command -v wasm-bindgen-test-runner >/dev/null; then
    echo "installing wasm-bindgen-cli $want into $TOOLS (about a minute, once)"
    # First with the CLI's own Cargo.lock: the dependency versions its release was built and tested with.
    # A registry mirror that lacks one of them makes cargo stop before compiling anything (about 2 s); its
    # multi-line "error: failed to select a version" is then replaced by one line saying what happens next,
    # an install with the newest compatible dependency versions. Any other failure is shown as it is.
    # No default features: no TLS stack, which the test runner does not need here.
    # Built unoptimised (opt-level 0, no LTO, no debug info): the tools only rewrite one wasm file and drive
    # the browser tests, 0.1 -> 0.5 s a call, while the build takes about 65 s instead of 150 s on 2 cores.
    local args=(wasm-bindgen-cli --version "$want" --no-default-features --root "$TOOLS") why what
    local -x CARGO_PROFILE_RELEASE_OPT_LEVEL=0 CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_DEBUG=false \
      CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_PROFILE_RELEASE_INCREMENTAL=false
    why="$(mktemp)"
    # (The status tested is cargo's, whether or not the caller set -e or pipefail.)
    if ! { cargo install "${args[@]}" --locked 2>&1 \
        | awk -v why="$why" '/^error: failed to select a version/ { print > why; quiet = 1 } !quiet { print; fflush() }'
        [ "${PIPESTATUS[0]}" = 0 ]; }; then
      if [ -s "$why" ]; then
        what="$(sed -nE 's/.*requirement `([^ ]+) = "[^"]*"` \(locked to ([^)]+)\).*/\1 \2/p' "$why" | head -n 1)"
        echo "note: this registry lacks ${what:-a dependency version} pinned by wasm-bindgen-cli's Cargo.lock;" \
          "installing with the newest compatible dependencies instead"
      else
        echo "the locked install failed (above); trying with the newest compatible dependencies"
      fi
      cargo install "${args[@]}" || { rm -f "$why"; return 1; }
    fi
    rm -f "$why"
  fi
  wasm-bindgen --version
}

# npm ci only when node_modules was not installed from this exact package-lock.json.
ensure_npm() {
  command -v npm >/dev/null || die "npm not found"
  local stamp="$ROOT/node_modules/.moment-lab-lock.sha256" want
  want="$(sha256sum "$ROOT/package-lock.json" | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    (cd "$ROOT" && npm ci --no-audit --no-fund)
    echo "$want" >"$stamp"
  fi
}

ensure_chromium() {
  if ! [ -x /usr/bin/chromium ] || ! [ -x /usr/bin/chromedriver ]; then
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends chromium chromium-driver
  fi
  /usr/bin/chromium --version 2>/dev/null || true
  /usr/bin/chromedriver --version
}
