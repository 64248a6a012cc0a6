#!/usr/bin/env node
// Bundles the page with esbuild (npm, pinned in package.json) from www/ and the wasm-bindgen output www/pkg/
// (scripts/build-web.sh runs this after building www/pkg):
//
//   node scripts/bundle.mjs [--single FILE] [--dist DIR]
//
// --single FILE (default www/single.html): the whole lab in one HTML file that works opened from disk
//   (file://): style.css and the page's modules inlined, the worker's bundle (a classic script, with the wasm
//   embedded as base64 by esbuild's binary loader) in a non-executed <script type="text/plain"
//   id="worker-src"> that main.js starts from a Blob URL, and a Content-Security-Policy that allows exactly
//   the inline script and style (by hash) and the Blob worker.
// --dist DIR: the folder a static host serves. DIR/vMAJOR.MINOR/ (the crate's version) is replaced, the
//   other DIR/v*/ folders are kept (published posts pin them), and DIR/index.html (a link to every version,
//   and a redirect to the newest), DIR/_headers (Netlify / Cloudflare Pages) and DIR/moment-lab-vX.Y.zip (the
//   version folder for a teacher's laptop) are rewritten. e2e/embed.mjs lists what a version folder holds and
//   checks the built one against that list.
//
// The URLs that connect the bundles are set with esbuild's `define`, never by rewriting code:
// import.meta.env.MOMENT_LAB_WORKER (main.js: the worker's hashed file), import.meta.env.MOMENT_LAB_WASM
// (worker.js: the wasm's hashed file, or its bytes in the single file), import.meta.env.MOMENT_LAB_CLASSIC and
// MOMENT_LAB_PAGE (embed.js: a classic script next to index.html). Unbundled, the page reads undefined and uses
// its source-tree paths. The HTML files are assembled by replacing exact tags, each of which must occur once.

import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { LAB_VERSION } from '../www/lab/embedding.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const WWW = join(ROOT, 'www');
const PKG_WASM = join(WWW, 'pkg', 'moment_lab_bg.wasm');

function fail(message) {
  console.error(`bundle.mjs: ${message}`);
  process.exit(1);
}

// The crate's version, from Cargo.toml's [package] table.
function crateVersion() {
  const toml = readFileSync(join(ROOT, 'Cargo.toml'), 'utf8');
  const pkg = toml.split(/^\[/m).find((t) => t.startsWith('package]'));
  const m = pkg && pkg.match(/^version\s*=\s*"([^"]+)"/m);
  if (!m) fail('no version in the [package] table of Cargo.toml');
  return m[1];
}

// One occurrence of `tag` (a string, or a RegExp without the g flag) in `text`, replaced.
function replaceOnce(text, tag, replacement, where) {
  const n = typeof tag === 'string' ? text.split(tag).length - 1 : (text.match(new RegExp(tag, 'g')) || []).length;
  if (n !== 1) fail(`${where}: expected ${tag instanceof RegExp ? tag : JSON.stringify(tag)} once, found it ${n} times`);
  return text.replace(tag, () => replacement);
}

const COMMON = { bundle: true, target: 'es2022', legalComments: 'none', logLevel: 'warning', absWorkingDir: ROOT };
// The dead branch `import.meta.url` of a define'd expression, in the classic (iife) builds.
const CLASSIC = { ...COMMON, format: 'iife', logOverride: { 'empty-import-meta': 'silent' } };

// The output file of `entry` in an esbuild metafile.
function outputOf(metafile, entry) {
  const hit = Object.entries(metafile.outputs).find(([, o]) => o.entryPoint === entry);
  if (!hit) fail(`esbuild produced no output for ${entry}`);
  return hit[0];
}

const sha256 = (data, encoding = 'hex') => createHash('sha256').update(data).digest(encoding);

// ------------------------------------------------------------------------------------------- single file

// The worker as one classic script with the wasm's bytes inside (a module worker from a blob: URL does not
// start under file://, whose origin is opaque).
async function singleWorker() {
  const wasmBytes = {
    name: 'wasm-bytes',
    setup(b) {
      b.onResolve({ filter: /^moment-lab:wasm-bytes$/ }, (a) => ({ path: a.path, namespace: 'moment-lab' }));
      b.onLoad({ filter: /.*/, namespace: 'moment-lab' }, () => ({
        contents: `export { default as MOMENT_LAB_WASM_BYTES } from ${JSON.stringify(PKG_WASM)};`,
        resolveDir: WWW,
        loader: 'js',
      }));
    },
  };
  const r = await build({
    ...CLASSIC, entryPoints: ['www/worker.js'], write: false, minify: true,
    define: { 'import.meta.env.MOMENT_LAB_WASM': 'MOMENT_LAB_WASM_BYTES' },
    inject: ['moment-lab:wasm-bytes'], loader: { '.wasm': 'binary' }, plugins: [wasmBytes],
  });
  return r.outputFiles[0].text;
}

async function singleHtml(out) {
  const [page, css, worker] = await Promise.all([
    build({ ...COMMON, entryPoints: ['www/main.js'], format: 'esm', write: false, minify: true }),
    build({ ...COMMON, entryPoints: ['www/style.css'], write: false, minify: true }),
    singleWorker(),
  ]).then(([p, c, w]) => [p.outputFiles[0].text, c.outputFiles[0].text, w]);
  for (const [name, text] of [['style.css', css], ['main.js', page], ['the worker', worker]]) {
    if (/<\/(script|style)/i.test(text)) fail(`${name} contains a closing </script> or </style> tag and cannot be inlined`);
  }
  const hash = (text) => `'sha256-${sha256(text, 'base64')}'`;
  const csp = `default-src 'none'; script-src ${hash(page)} 'wasm-unsafe-eval'; worker-src blob:; style-src ${hash(css)}; `
    + "img-src data: blob:; object-src 'none'; base-uri 'none'; form-action 'none'";
  const where = 'index.html (single file)';
  let html = readFileSync(join(ROOT, 'index.html'), 'utf8');
  html = html.replace(/<meta http-equiv="Content-Security-Policy" content="[^"]*">/,
    () => `<meta http-equiv="Content-Security-Policy" content="${csp}">`);
  if (!html.includes(csp)) fail(`${where}: no Content-Security-Policy meta tag`);
  html = replaceOnce(html, '<link rel="stylesheet" href="www/style.css">', `<style>${css}</style>`, where);
  html = replaceOnce(html, '<script type="module" src="www/main.js"></script>',
    `<script type="text/plain" id="worker-src">${worker}</script>\n<script type="module">${page}</script>`, where);
  // The link to this very file, and to the example post (not next to a copy on a USB stick), go.
  html = replaceOnce(html, /\s*·\s*<a href="www\/single.html">single-file version<\/a>/, '', where);
  html = replaceOnce(html, /\s*·\s*<a href="www\/blog-example.html">embedding example<\/a>/, '', where);
  html = replaceOnce(html, '<!doctype html>',
    `<!doctype html>\n<!-- Moment Lab ${LAB_VERSION}, single-file build: generated by scripts/bundle.mjs from index.html and www/. -->`, where);
  writeFileSync(out, html);
  return Buffer.byteLength(html);
}

// ------------------------------------------------------------------------------------------- hosted folder

async function versionFolder(out, singleFile) {
  const assets = join(out, 'assets');
  mkdirSync(assets, { recursive: true });

  // (c) the wasm under its content hash
  const wasm = `moment_lab_bg-${sha256(readFileSync(PKG_WASM)).slice(0, 12)}.wasm`;
  copyFileSync(PKG_WASM, join(assets, wasm));
  // (b) the worker, told the wasm's name
  const w = await build({
    ...COMMON, entryPoints: { worker: 'www/worker.js' }, format: 'esm', minify: true, outdir: assets,
    entryNames: '[name]-[hash]', metafile: true,
    define: { 'import.meta.env.MOMENT_LAB_WASM': JSON.stringify(`./${wasm}`) },
  });
  const worker = basename(outputOf(w.metafile, 'www/worker.js'));
  // (a) the page, told the worker's name, and (d) the stylesheet
  const p = await build({
    ...COMMON, entryPoints: { main: 'www/main.js', style: 'www/style.css' }, format: 'esm', minify: true,
    outdir: assets, entryNames: '[name]-[hash]', metafile: true,
    define: { 'import.meta.env.MOMENT_LAB_WORKER': JSON.stringify(`./${worker}`) },
  });
  const main = basename(outputOf(p.metafile, 'www/main.js'));
  const style = basename(outputOf(p.metafile, 'www/style.css'));

  // The element, as a classic script next to index.html (readable: it runs in other people's pages).
  await build({
    ...CLASSIC, entryPoints: ['www/embed.js'], outfile: join(out, 'embed.js'), globalName: 'MomentLab',
    define: { 'import.meta.env.MOMENT_LAB_CLASSIC': 'true', 'import.meta.env.MOMENT_LAB_PAGE': '"./index.html"' },
    banner: { js: `// Moment Lab ${LAB_VERSION}: the <moment-lab> element (built from www/embed.js by scripts/bundle.mjs).\n`
      + '// <script src=".../embed.js" defer></script> <moment-lab experiment="cloud" autorun></moment-lab>  — docs/EMBED.md' },
  });

  let index = readFileSync(join(ROOT, 'index.html'), 'utf8');
  index = replaceOnce(index, '<link rel="stylesheet" href="www/style.css">', `<link rel="stylesheet" href="assets/${style}">`, 'index.html');
  index = replaceOnce(index, '<script type="module" src="www/main.js"></script>', `<script type="module" src="assets/${main}"></script>`, 'index.html');
  index = replaceOnce(index, 'href="www/single.html"', 'href="single.html"', 'index.html');
  index = replaceOnce(index, 'href="www/blog-example.html"', 'href="blog-example.html"', 'index.html');
  index = replaceOnce(index, '<!doctype html>', `<!doctype html>\n<!-- Moment Lab ${LAB_VERSION}: built by scripts/bundle.mjs from index.html and www/. -->`, 'index.html');
  if (/(?:src|href)="www\//.test(index)) fail('index.html still names a file under www/');
  writeFileSync(join(out, 'index.html'), index);

  // The example post, next to the lab: its frames load index.html, its element the classic embed.js.
  let post = readFileSync(join(WWW, 'blog-example.html'), 'utf8');
  post = replaceOnce(post, '<script type="module" src="embed.js"></script>', '<script src="embed.js" defer></script>', 'blog-example.html');
  if (!post.includes('"../index.html')) fail('blog-example.html does not link ../index.html');
  post = post.replaceAll('"../index.html', '"index.html');
  writeFileSync(join(out, 'blog-example.html'), post);
  for (const f of ['blog-example.css', 'blog-example.js']) copyFileSync(join(WWW, f), join(out, f));
  copyFileSync(singleFile, join(out, 'single.html'));
  writeFileSync(join(out, 'README.txt'), `Moment Lab ${LAB_VERSION}

Offline, on this computer: open single.html in a web browser (double-click it). It holds the whole lab.

index.html is the same lab for a web server: it does not start from a file:// address. To use it, put this
folder on any static web host, or run a local server in it, e.g.
    python3 -m http.server 8000
and open http://127.0.0.1:8000/index.html. blog-example.html shows two experiments embedded in a page.

Source, documentation and the embedding guide: the Moment Lab repository (README.md, docs/EMBED.md).
`);
  return { main, style, worker, wasm };
}

// Every file under `dir`, as relative paths with '/'.
function listFiles(dir, prefix = '') {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory()
    ? listFiles(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`])).sort();
}

const versionKey = (v) => v.slice(1).split('.').map(Number);
const newestFirst = (a, b) => {
  const [x, y] = [versionKey(a), versionKey(b)];
  return y[0] - x[0] || y[1] - x[1];
};

// DIR/index.html: every version folder present, newest first; a redirect to the newest.
function topIndex(dir, versions) {
  const newest = versions[0];
  const zip = (v) => (existsSync(join(dir, `moment-lab-${v}.zip`)) ? ` — <a href="moment-lab-${v}.zip">zip for offline use</a>` : '');
  const items = versions.map((v) => `  <li><a href="${v}/">${v}</a> — <a href="${v}/blog-example.html">example post</a>${zip(v)}</li>`).join('\n');
  writeFileSync(join(dir, 'index.html'), `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; base-uri 'none'; form-action 'none'">
<meta http-equiv="refresh" content="0; url=${newest}/">
<link rel="icon" href="data:,">
<title>Moment Lab</title>
</head>
<body>
<h1>Moment Lab</h1>
<p>The newest version is <a href="${newest}/">${newest}</a>. Every published version stays at its own address,
  so pages that embed one keep working:</p>
<ul>
${items}
</ul>
</body>
</html>
`);
}

// DIR/_headers, read by Netlify and Cloudflare Pages (other hosts serve it as a file or ignore it): hashed
// assets are cached for a year, every other file is revalidated on each load.
function headersFile(dir, versions) {
  const lines = [
    '# HTTP headers for Netlify / Cloudflare Pages (written by scripts/bundle.mjs; README "Put it online").',
    '# To choose which sites may embed the lab, add under each HTML file:',
    "#   Content-Security-Policy: frame-ancestors 'self' https://blog.example",
    '/',
    '  Cache-Control: no-cache',
    '/index.html',
    '  Cache-Control: no-cache',
  ];
  for (const v of versions) {
    lines.push(`/${v}/assets/*`, '  Cache-Control: public, max-age=31536000, immutable');
    const stable = listFiles(join(dir, v)).filter((f) => !f.startsWith('assets/'));
    for (const f of ['', ...stable]) lines.push(`/${v}/${f}`, '  Cache-Control: no-cache');
  }
  writeFileSync(join(dir, '_headers'), `${lines.join('\n')}\n`);
}

// DIR/moment-lab-vX.Y.zip: the version folder, deflated, as moment-lab-vX.Y/… (python3's zipfile: node has
// no zip writer).
function zipFolder(dir, series) {
  const zip = join(dir, `moment-lab-${series}.zip`);
  const py = `import sys, zipfile, pathlib
src, out, top = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3]
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    for p in sorted(src.rglob("*")):
        if p.is_file():
            z.write(p, f"{top}/{p.relative_to(src).as_posix()}")`;
  rmSync(zip, { force: true });
  const r = spawnSync('python3', ['-c', py, join(dir, series), zip, `moment-lab-${series}`], { stdio: 'inherit' });
  if (r.status !== 0) fail('could not write the zip (python3 zipfile)');
}

async function dist(dir, singleFile) {
  const [major, minor] = LAB_VERSION.split('.');
  const series = `v${major}.${minor}`;
  mkdirSync(dir, { recursive: true });
  const out = join(dir, series);
  rmSync(out, { recursive: true, force: true });
  const names = await versionFolder(out, singleFile);
  const versions = readdirSync(dir).filter((v) => /^v\d+\.\d+$/.test(v) && statSync(join(dir, v)).isDirectory()).sort(newestFirst);
  zipFolder(dir, series);
  topIndex(dir, versions);
  headersFile(dir, versions);
  return { out, names };
}

// ------------------------------------------------------------------------------------------- main

const { values: opts } = parseArgs({ options: { single: { type: 'string' }, dist: { type: 'string' } } });
const version = crateVersion();
if (version !== LAB_VERSION) {
  fail(`Cargo.toml says version ${version} but www/lab/embedding.js says LAB_VERSION = '${LAB_VERSION}': make them equal`);
}
if (!existsSync(PKG_WASM)) fail(`${relative(ROOT, PKG_WASM)} is missing: run bash scripts/build-web.sh`);
const single = resolve(opts.single ?? join(WWW, 'single.html'));
const size = await singleHtml(single);
console.log(`wrote ${relative(ROOT, single)} (${size.toLocaleString('en')} bytes)`);
if (opts.dist) {
  const { out } = await dist(resolve(opts.dist), single);
  const files = listFiles(out);
  const bytes = files.reduce((s, f) => s + statSync(join(out, f)).size, 0);
  console.log(`wrote ${out}/: ${files.length} files, ${bytes.toLocaleString('en')} bytes`);
}
