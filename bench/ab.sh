#!/usr/bin/env bash
# A/B of one budgets case: this checkout (A) against a copy with PATCH applied to the page (B), in interleaved
# rounds (A B, B A, A B, …) so that a neighbour's load falls on both alike. Each run is one fresh Chromium
# (bench/budgets.mjs --reps 1); the JSON of every run goes to OUT, and a summary of the main-thread long tasks
# (first 2 s of the run and later) and of the long animation frames that ran FILE's code is printed.
#
#   bench/ab.sh PATCH [CASE=lth] [ROUNDS=8] [OUT=bench/ab-<date>] [FILE=training.js]
#   e.g. bench/ab.sh bench/variants/heatmaps-one-frame.patch
#
# Needs a built page (bash scripts/build-web.sh) and node_modules (npm ci); the patch may touch www/ and
# index.html only (the copy shares this checkout's www/pkg build).
set -euo pipefail
cd "$(dirname "$0")/.."
patch="$(realpath "${1:?usage: bench/ab.sh PATCH [CASE] [ROUNDS] [OUT] [FILE]}")"
case="${2:-lth}" rounds="${3:-8}" out="${4:-bench/ab-$(date -u +%Y-%m-%dT%H%M)}" file="${5:-training.js}"
[ -f www/pkg/moment_lab_bg.wasm ] || { echo "ab: www/pkg is missing: run bash scripts/build-web.sh" >&2; exit 2; }

variant="$(mktemp -d)"
trap 'rm -rf "$variant"' EXIT
cp -r index.html www "$variant/"
(cd "$variant" && git apply "$patch")
mkdir -p "$out"
echo "A = $(git rev-parse --short HEAD) ($(pwd)), B = A + $(basename "$patch"); $rounds rounds of '$case', JSON in $out"

for i in $(seq 1 "$rounds"); do
  order="A B"; [ $((i % 2)) = 0 ] && order="B A"
  for v in $order; do
    root="$(pwd)"; [ "$v" = B ] && root="$variant"
    node bench/budgets.mjs --only "$case" --reps 1 --root "$root" --out "$out/$v-$i.json" >/dev/null 2>&1 \
      || echo "ab: round $i $v: budgets.mjs failed (see $out/$v-$i.json)"
  done
done

node - "$out" "$file" <<'EOF'
const fs = require('fs');
const [dir, file] = process.argv.slice(2);
for (const v of ['A', 'B']) {
  const firsts = [];
  console.log(v);
  for (const f of fs.readdirSync(dir).filter((f) => f.startsWith(`${v}-`) && f.endsWith('.json')).sort((a, b) => parseInt(a.slice(2)) - parseInt(b.slice(2)))) {
    const j = JSON.parse(fs.readFileSync(`${dir}/${f}`, 'utf8'));
    const c = Object.values(j.cases)[0];
    const r = c.runs?.[0];
    if (!r) { console.log(`  ${f}: ${c.error}`); continue; }
    const early = r.longtasks.filter((_, i) => r.longtasks_at[i] < 2000);
    const late = r.longtasks.filter((_, i) => r.longtasks_at[i] >= 2000);
    const mine = (r.long_frames || []).filter((x) => x.scripts.some((s) => s.includes(file)))
      .map((x) => `${x.ms} ms at ${x.at} ms (${x.scripts.filter((s) => s.includes(file)).join(', ')})`);
    firsts.push(Math.max(0, ...early));
    console.log(`  ${f.padEnd(9)} load ${c.load_before[0].toFixed(1)}, ${r.seconds.toFixed(1)} s; long tasks in the first 2 s ${JSON.stringify(early)}, later ${late.length} (longest ${Math.max(0, ...late)}); long frames running ${file}: ${mine.join('; ') || 'none'}`);
  }
  firsts.sort((a, b) => a - b);
  console.log(`  longest task in the first 2 s, sorted: ${firsts.join(', ')} ms; median ${firsts[Math.floor((firsts.length - 1) / 2)]}${firsts.length % 2 ? '' : `–${firsts[firsts.length / 2]}`} ms; over 50 ms in ${firsts.filter((x) => x > 50).length} of ${firsts.length}`);
}
EOF
