#!/usr/bin/env bash
# Command #1: install what is missing, build the page, serve the repository root on
# http://127.0.0.1:${PORT:-8000}/ (the lab is index.html). Ctrl-C stops the server.
#   PORT=9000 scripts/serve.sh      another port
#   BIND=0.0.0.0 scripts/serve.sh   reachable from other machines
#   NO_SERVE=1 scripts/serve.sh     build only
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

step "rust target $TARGET"
ensure_wasm_target
step "wasm-bindgen CLI (version from Cargo.lock)"
ensure_wasm_bindgen
step "npm packages (esbuild for the single file, binaryen for wasm-opt; optional)"
if command -v npm >/dev/null; then ensure_npm || echo "(npm ci failed; building without wasm-opt and without www/single.html)"; fi

bash scripts/build-web.sh

[ "${NO_SERVE:-0}" = 1 ] && { step "built (NO_SERVE=1, not serving)"; exit 0; }
PORT="${PORT:-8000}"
BIND="${BIND:-127.0.0.1}"
step "serving $ROOT"
echo
echo "  Moment Lab:   http://127.0.0.1:$PORT/"
echo "  single file:  http://127.0.0.1:$PORT/www/single.html   (also works opened from disk: file://$ROOT/www/single.html)"
echo
exec python3 -m http.server "$PORT" --bind "$BIND" --directory "$ROOT"
