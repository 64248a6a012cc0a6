#!/usr/bin/env bash
# Builds the page's wasm: release lib for wasm32 (simd128 via .cargo/config.toml) -> wasm-bindgen (web target)
# into www/pkg/ -> optional wasm-opt (npm binaryen 132 only; Debian's 108 breaks the module) -> the esbuild
# bundles (scripts/bundle.mjs): www/single.html, and with --dist DIR the folder to publish.
#
#   bash scripts/build-web.sh              the source tree's page (index.html + www/, what scripts/serve.sh serves)
#   bash scripts/build-web.sh --dist DIR   also DIR/vMAJOR.MINOR/: the lab for any static host (README, "Put it online")
#
# Expects the wasm32 target, the pinned wasm-bindgen CLI and the npm packages (scripts/serve.sh and
# scripts/test.sh install them). WASM_OPT=0 skips wasm-opt.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

dist=""
while [ $# -gt 0 ]; do
  case "$1" in
    --dist) [ $# -ge 2 ] || die "--dist needs a directory"; dist="$2"; shift 2 ;;
    --dist=*) dist="${1#--dist=}"; shift ;;
    *) die "unknown option $1 (usage: scripts/build-web.sh [--dist DIR])" ;;
  esac
done
have_esbuild=0
[ -f node_modules/esbuild/package.json ] && have_esbuild=1
[ -z "$dist" ] || [ "$have_esbuild" = 1 ] || die "esbuild is missing: run npm ci (scripts/serve.sh and scripts/test.sh do)"

# Its own target directory: the build then runs while a native build holds target/ (scripts/test.sh's lanes).
step "cargo build --lib --release --target $TARGET --target-dir target/web (+simd128)"
cargo build --lib --release --target "$TARGET" --target-dir target/web

# wasm-bindgen + wasm-opt (~10 s) only when the cargo output, the tools or this script changed.
SRC="target/web/$TARGET/release/moment_lab.wasm"
OPT="$ROOT/node_modules/.bin/wasm-opt"
use_opt=0
if [ "${WASM_OPT:-1}" != 0 ] && [ -x "$OPT" ] && "$OPT" --version 2>/dev/null | grep -q 'version 132'; then use_opt=1; fi
stamp="$(cat "$SRC" "$0" | sha256sum | cut -d' ' -f1) $(wasm-bindgen --version) opt=$use_opt"
if [ -f www/pkg/moment_lab_bg.wasm ] && [ "$(cat www/pkg/.build-stamp 2>/dev/null)" = "$stamp" ]; then
  step "www/pkg is up to date"
else
  step "wasm-bindgen --target web --out-dir www/pkg"
  rm -rf www/pkg
  wasm-bindgen --target web --out-dir www/pkg "$SRC"
  if [ "$use_opt" = 1 ]; then
    step "wasm-opt -O3 (npm binaryen 132)"
    if "$OPT" -O3 www/pkg/moment_lab_bg.wasm -o www/pkg/moment_lab_bg.opt.wasm; then
      mv www/pkg/moment_lab_bg.opt.wasm www/pkg/moment_lab_bg.wasm
    else
      echo "wasm-opt failed; keeping the unoptimised module" >&2
      rm -f www/pkg/moment_lab_bg.opt.wasm
    fi
  else
    echo "(wasm-opt skipped: npm binaryen 132 not installed; 'npm ci' gives a smaller, faster module)"
  fi
  echo "$stamp" >www/pkg/.build-stamp
fi

if [ -n "$dist" ]; then
  step "esbuild: www/single.html and $dist/ (scripts/bundle.mjs)"
  node scripts/bundle.mjs --dist "$dist"
elif [ "$have_esbuild" = 1 ]; then
  step "esbuild: www/single.html (scripts/bundle.mjs)"
  node scripts/bundle.mjs
else
  # The source tree's page (index.html + www/) needs no bundle; only the single file does.
  echo "(esbuild not installed: www/single.html not rebuilt; 'npm ci' installs it)"
fi

raw=$(wc -c <www/pkg/moment_lab_bg.wasm)
gz=$(gzip -9c www/pkg/moment_lab_bg.wasm | wc -c)
echo "wasm: $raw bytes raw, $gz gzipped; single.html: $(wc -c <www/single.html 2>/dev/null || echo 'not built') bytes"
