// Size of the published folder and of one page load (BENCHMARKS.md, section 7).
//
//   bash scripts/build-web.sh --dist dist && node bench/dist-size.mjs [--dist DIR]
//
// 1. Every file of DIR/vX.Y/ by type: raw bytes, gzip (zlib level 6, the default of the usual servers' on-the-fly
//    compression) and brotli (quality 11, what hosts that precompress serve).
// 2. One first load, with an empty cache: the files headless Chromium requests for DIR/vX.Y/index.html until the
//    lab is ready (the worker up, before any run), and for a page on another origin with one <moment-lab>
//    element (embed.js, then the same lab in its frame); each file counted raw, gzip and brotli. HTTP headers
//    are not counted. For reference, the same for the source tree's page (index.html + www/, unbundled and
//    unminified, as scripts/serve.sh serves it). Serves DIR and the repository with python3 -m http.server;
//    needs the built folder and www/pkg, builds nothing.
// Prints Markdown tables.

import { readFileSync, readdirSync, statSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { LAB_VERSION } from '../www/lab/embedding.js';
import { ROOT, arg, serveDirectory } from '../e2e/lib.mjs';

const DIST = resolve(arg('--dist') || join(ROOT, 'dist'));
const SERIES = `v${LAB_VERSION.split('.').slice(0, 2).join('.')}`;
const DIR = join(DIST, SERIES);

const listFiles = (dir, prefix = '') => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory()
  ? listFiles(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`])).sort();

function sizes(file) {
  const data = readFileSync(file);
  return {
    raw: data.length,
    gzip: gzipSync(data, { level: 6 }).length,
    brotli: brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: data.length } }).length,
  };
}
const add = (a, b) => ({ raw: a.raw + b.raw, gzip: a.gzip + b.gzip, brotli: a.brotli + b.brotli });
const ZERO = { raw: 0, gzip: 0, brotli: 0 };
const kB = (n) => (n / 1000).toFixed(1);
const row = (label, s) => `| ${label} | ${kB(s.raw)} | ${kB(s.gzip)} | ${kB(s.brotli)} |`;

// ------------------------------------------------------------------ 1. the folder

const files = listFiles(DIR);
const byType = new Map();
let total = ZERO;
for (const f of files) {
  const s = sizes(join(DIR, f));
  const type = extname(f) || f;
  const t = byType.get(type) || { ...ZERO, n: 0 };
  byType.set(type, { ...add(t, s), n: t.n + 1 });
  total = add(total, s);
}
console.log(`Moment Lab ${LAB_VERSION}: ${DIR}\n`);
console.log('| file type | files | raw kB | gzip kB | brotli kB |\n|---|---|---|---|---|');
for (const [type, s] of [...byType].sort((a, b) => b[1].raw - a[1].raw)) {
  console.log(`| ${type} | ${s.n} | ${kB(s.raw)} | ${kB(s.gzip)} | ${kB(s.brotli)} |`);
}
console.log(`| **all** | ${files.length} | ${kB(total.raw)} | ${kB(total.gzip)} | ${kB(total.brotli)} |`);
const zip = join(DIST, `moment-lab-${SERIES}.zip`);
console.log(`\nThe zip for offline use, ${zip.slice(DIST.length + 1)}: ${kB(statSync(zip).size)} kB.\n`);

// ------------------------------------------------------------------ 2. one page load

const hostDir = mkdtempSync(join(tmpdir(), 'moment-lab-size-'));
writeFileSync(join(hostDir, 'index.html'), '');
const labServer = await serveDirectory(DIST, `/${SERIES}`);
const sourceServer = await serveDirectory(ROOT);
const blogServer = await serveDirectory(hostDir, '', { host: 'localhost' });
writeFileSync(join(hostDir, 'post.html'), `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<script src="${labServer.base}/embed.js" defer></script></head><body>
<moment-lab experiment="cloud" loading="eager"></moment-lab></body></html>`);
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--headless', '--no-sandbox'] });

// The files `server` (serving `dir` at `prefix`) sent to a fresh context for `url` until `ready(page)`, as
// paths in `dir`.
async function firstLoad(url, ready, server = labServer, prefix = `/${SERIES}/`) {
  const context = await browser.newContext();
  const before = server.requests().length;
  const page = await context.newPage();
  await page.goto(url);
  await ready(page);
  await context.close();
  return server.requests().slice(before).map((r) => {
    const path = decodeURIComponent(r.path.split(/[?#]/)[0]);
    if (r.status !== 200 || !path.startsWith(prefix)) throw new Error(`unexpected request ${r.status} ${r.path}`);
    return path.slice(prefix.length) || 'index.html';
  });
}

const labReady = (page) => page.waitForSelector('body[data-ready="1"]', { timeout: 60_000 });
const loads = {
  'index.html': await firstLoad(`${labServer.base}/index.html`, labReady),
  'a post with one <moment-lab> (another origin)': await firstLoad(`${blogServer.base}/post.html`,
    (page) => page.waitForFunction(() => document.querySelector('moment-lab').ready, null, { timeout: 60_000 })),
};
const source = await firstLoad(`${sourceServer.base}/index.html`, labReady, sourceServer, '/');
await browser.close();
labServer.stop();
blogServer.stop();
sourceServer.stop();
rmSync(hostDir, { recursive: true, force: true });

for (const [what, requested] of Object.entries(loads)) {
  console.log(`First load of ${what}, until the lab is ready:\n`);
  console.log('| file | raw kB | gzip kB | brotli kB |\n|---|---|---|---|');
  let sum = ZERO;
  for (const f of requested) {
    const s = sizes(join(DIR, f));
    sum = add(sum, s);
    console.log(row(f.replace(/-[A-Za-z0-9]{8,12}\./, '-HASH.'), s));
  }
  const w = sizes(join(DIR, requested.find((f) => f.endsWith('.wasm'))));
  console.log(`| **${requested.length} requests** | ${kB(sum.raw)} | ${kB(sum.gzip)} | ${kB(sum.brotli)} |`);
  console.log(`| without the wasm | ${kB(sum.raw - w.raw)} | ${kB(sum.gzip - w.gzip)} | ${kB(sum.brotli - w.brotli)} |\n`);
}
const ref = source.reduce((sum, f) => add(sum, sizes(join(ROOT, f))), ZERO);
const wasm = sizes(join(ROOT, 'www/pkg/moment_lab_bg.wasm'));
console.log('Reference, the source tree\'s page (unbundled, unminified) until ready:\n');
console.log('| | requests | raw kB | gzip kB | brotli kB |\n|---|---|---|---|---|');
console.log(`| all | ${source.length} | ${kB(ref.raw)} | ${kB(ref.gzip)} | ${kB(ref.brotli)} |`);
console.log(`| without the wasm | ${source.length - 1} | ${kB(ref.raw - wasm.raw)} | ${kB(ref.gzip - wasm.gzip)} | ${kB(ref.brotli - wasm.brotli)} |`);
