// End-to-end tests of the lab page in headless Chromium (Debian's /usr/bin/chromium) via playwright-core.
//
//   node e2e/run.mjs [--base http://127.0.0.1:PORT] [--only name,name]
//
// Without --base it serves the repository root itself (python3 -m http.server on a free 127.0.0.1 port).
// Expects a built page (scripts/build-web.sh): www/pkg/ and www/single.html.
// Writes screenshots to e2e/shots/ and copies the main one to docs/screenshot-cloud.png.
// The last line printed is "e2e: N passed, M failed"; the exit code is non-zero on any failure.

import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SHOTS = join(ROOT, 'e2e', 'shots');
const TIMEOUT = 90_000;

const argv = process.argv.slice(2);
const arg = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const only = arg('--only')?.split(',');

// ------------------------------------------------------------------ server

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

async function startServer() {
  const port = await freePort();
  const proc = spawn('python3', ['-m', 'http.server', String(port), '--bind', '127.0.0.1', '--directory', ROOT],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr.on('data', (b) => { log += b; });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${base}/index.html`)).ok) return { base, stop: () => proc.kill(), log: () => log };
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  proc.kill();
  throw new Error(`http.server did not start: ${log}`);
}

// ------------------------------------------------------------------ helpers

function assert(cond, message) {
  if (!cond) throw new Error(`assertion failed: ${message}`);
}

// Every request that is not to 127.0.0.1 (or a local file:, data:, blob: URL) is aborted and recorded.
const offsite = [];
const isLocal = (url) => {
  const u = new URL(url);
  return ['file:', 'data:', 'blob:'].includes(u.protocol) || u.hostname === '127.0.0.1';
};

async function openPage(context, url, { viewport } = {}) {
  const page = await context.newPage();
  if (viewport) await page.setViewportSize(viewport);
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => { if (isLocal(r.url())) problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`); });
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  await page.goto(url);
  await page.waitForSelector('body[data-ready="1"]', { timeout: TIMEOUT });
  return { page, problems };
}

async function setControls(page, values) {
  for (const [id, v] of Object.entries(values)) await page.fill(`#${id}`, String(v));
}

// Clicks Run and waits for the run to complete (body[data-done]) or fail (error box shown).
async function run(page) {
  await page.click('#run');
  await page.waitForFunction(() => document.body.dataset.done === '1' || !document.getElementById('error').hidden,
    null, { timeout: TIMEOUT });
}

async function result(page) {
  return page.evaluate(() => {
    const r = document.getElementById('result');
    return {
      done: document.body.dataset.done === '1',
      atoms: Number(r.dataset.atoms),
      residual: Number(r.dataset.residual),
      shownResidual: Number(document.getElementById('residual').textContent),
      rows: document.querySelectorAll('#moments tbody tr').length,
      last: window.lastResult,
      error: document.getElementById('error').hidden ? null : document.getElementById('error').textContent,
    };
  });
}

async function expectDefaultDemo(page, where) {
  await run(page);
  const r = await result(page);
  assert(r.error === null, `${where}: unexpected error box: ${r.error}`);
  assert(r.done, `${where}: run did not complete`);
  assert(r.atoms === 40, `${where}: drawn atom count ${r.atoms}, want 40`);
  assert(r.last && r.last.kept === 40, `${where}: lastResult.kept = ${r.last && r.last.kept}`);
  assert(r.residual <= 1e-9, `${where}: residual ${r.residual} > 1e-9`);
  assert(Number.isFinite(r.shownResidual) && r.shownResidual <= 1e-9, `${where}: shown residual ${r.shownResidual}`);
  assert(r.rows === 6, `${where}: ${r.rows} moment rows, want N(2,2) = 6`);
  return r;
}

async function expectError(page, what, pattern) {
  const text = await page.waitForSelector('#error:not([hidden])', { timeout: TIMEOUT }).then((h) => h.textContent());
  assert(pattern.test(text), `${what}: error box says ${JSON.stringify(text)}, want ${pattern}`);
  assert(await page.isVisible('#error'), `${what}: error box not visible`);
  assert((await page.getAttribute('#error', 'role')) === 'alert', `${what}: error box without role=alert`);
  return text;
}

const noProblems = (problems, where) => assert(problems.length === 0, `${where}: ${problems.join('; ')}`);

// ------------------------------------------------------------------ cases

const cases = {
  async demo({ context, base }) {
    const { page, problems } = await openPage(context, `${base}/`, { viewport: { width: 1200, height: 900 } });
    const simd = await page.textContent('#about');
    assert(/SIMD/.test(simd), `footer should report wasm + SIMD, says ${simd}`);
    await expectDefaultDemo(page, 'served page');
    assert(await page.isVisible('#download'), 'download link hidden after a run');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    const csv = readFileSync(await download.path(), 'utf8');
    assert(/-kept\.csv$/.test(download.suggestedFilename()), `download name ${download.suggestedFilename()}`);
    const lines = csv.trim().split('\n');
    assert(/^index,weight,x1,x2/.test(lines[0]) && lines.length === 41, `kept CSV: ${lines.length} lines, header ${lines[0]}`);
    const hash = await page.evaluate(() => location.hash);
    assert(/seed=1/.test(hash) && /target=40/.test(hash), `URL hash not updated: ${hash}`);
    await page.screenshot({ path: join(SHOTS, 'cloud.png'), fullPage: true });
    mkdirSync(join(ROOT, 'docs'), { recursive: true });
    copyFileSync(join(SHOTS, 'cloud.png'), join(ROOT, 'docs', 'screenshot-cloud.png'));
    noProblems(problems, 'served page');

    // Phone width: same run, no horizontal scrolling.
    const phone = await openPage(context, `${base}/`, { viewport: { width: 390, height: 844 } });
    await expectDefaultDemo(phone.page, 'phone width');
    const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert(overflow <= 0, `phone width: page is ${overflow}px wider than the screen`);
    await phone.page.screenshot({ path: join(SHOTS, 'cloud-phone.png'), fullPage: true });
    noProblems(phone.problems, 'phone width');
  },

  async bad_input({ context, base }) {
    const { page, problems } = await openPage(context, `${base}/`);
    // target 3 < N(2,2) = 6
    await setControls(page, { k: 2, target: 3 });
    await run(page);
    await expectError(page, 'target below N(m,k)', /\b6\b/);
    assert(!(await result(page)).done, 'a failed run must not set data-done');
    // target >= d
    await setControls(page, { target: 1000 });
    await run(page);
    await expectError(page, 'target >= d', /smaller than the number of points/);
    // a valid run still works, and clears the error box
    await setControls(page, { target: 40 });
    await expectDefaultDemo(page, 'valid run after errors');

    // bad CSV files: a ragged row, a non-numeric cell, an empty file
    // An upload starts a run after reading the file (asynchronously): forget the previous outcome first, so
    // that the next error box or data-done is this upload's.
    const upload = async (name, text) => {
      await page.evaluate(() => {
        document.getElementById('error').hidden = true;
        delete document.body.dataset.done;
      });
      await page.setInputFiles('#csv', { name, mimeType: 'text/csv', buffer: Buffer.from(text) });
    };
    await upload('ragged.csv', 'x,y\n1,2\n3\n4,5\n');
    await expectError(page, 'ragged CSV', /line 3 has 1 fields? but the header has 2/);
    await upload('abc.csv', 'x,y\n1,2\nabc,4\n5,6\n');
    await expectError(page, '"abc" cell', /'abc' is not a number/);
    await upload('empty.csv', '');
    await expectError(page, 'empty CSV', /empty/);

    // a good CSV (3 columns + weight) runs through CloudRun.from_csv
    const rows = ['x,y,z,weight'];
    let s = 7;
    const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
    for (let i = 0; i < 300; i++) rows.push(`${rnd()},${rnd()},${rnd()},${1 + (i % 3)}`);
    await upload('mine.csv', rows.join('\n') + '\n');
    await page.waitForFunction(() => document.body.dataset.done === '1' || !document.getElementById('error').hidden,
      null, { timeout: TIMEOUT });
    const r = await result(page);
    assert(r.error === null, `good CSV: ${r.error}`);
    assert(r.atoms === 40 && r.last.d === 300 && r.last.dim === 3, `good CSV: atoms ${r.atoms}, d ${r.last.d}, dim ${r.last.dim}`);
    assert(r.rows === 10 && r.residual <= 1e-9, `good CSV: ${r.rows} moment rows (want N(3,2) = 10), residual ${r.residual}`);
    assert(r.last.moments[0].original === 600, `good CSV: total mass ${r.last.moments[0].original}, want 600 (weights used)`);
    noProblems(problems, 'bad input');
  },

  async stop({ context, base }) {
    const { page, problems } = await openPage(context, `${base}/`);
    await setControls(page, { d: 1000000, k: 3, target: 200 });   // ~5 s of compressing on 2 cores
    await page.click('#run');
    await page.waitForFunction(() => document.getElementById('progress').value > 0, null, { timeout: TIMEOUT });
    // The main thread stays responsive while the worker computes.
    const t = Date.now();
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r())));
    assert(Date.now() - t < 1000, `main thread blocked for ${Date.now() - t} ms during a run`);
    assert(await page.isEnabled('#stop'), 'stop button disabled during a run');
    await page.click('#stop');
    await page.waitForFunction(() => document.getElementById('status').textContent === 'stopped', null, { timeout: 10_000 });
    const st = await page.evaluate(() => ({ running: document.body.dataset.running, done: document.body.dataset.done }));
    assert(st.running === undefined && st.done === undefined, `after stop: ${JSON.stringify(st)}`);
    assert(await page.isDisabled('#stop'), 'stop button still enabled after stopping');
    // still usable
    await setControls(page, { d: 1000, k: 2, target: 40 });
    await expectDefaultDemo(page, 'run after stop');
    noProblems(problems, 'stop');
  },

  async single_file({ context, base }) {
    const file = join(ROOT, 'www', 'single.html');
    assert(existsSync(file), 'www/single.html missing (run scripts/build-web.sh)');
    const { page, problems } = await openPage(context, pathToFileURL(file).href);
    await expectDefaultDemo(page, 'single.html from file://');
    await page.screenshot({ path: join(SHOTS, 'single-file.png'), fullPage: true });
    noProblems(problems, 'single.html from file://');
    // The same file served over http (as when pasted into a blog).
    const served = await openPage(context, `${base}/www/single.html`);
    await expectDefaultDemo(served.page, 'single.html over http');
    noProblems(served.problems, 'single.html over http');
  },

  async offline({ requests }) {
    assert(requests.length > 0, 'no requests were seen at all (the recorder is broken)');
    assert(offsite.length === 0, `requests left 127.0.0.1: ${offsite.join(', ')}`);
  },
};

// ------------------------------------------------------------------ main

async function main() {
  mkdirSync(SHOTS, { recursive: true });
  const server = arg('--base') ? null : await startServer();
  const base = arg('--base') || server.base;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, acceptDownloads: true });
  const requests = [];
  context.on('request', (r) => requests.push(r.url()));
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (isLocal(url)) return route.continue();
    offsite.push(url);
    return route.abort('addressunreachable');
  });

  let passed = 0;
  let failed = 0;
  for (const [name, fn] of Object.entries(cases)) {
    if (only && !only.includes(name)) continue;
    const t = Date.now();
    try {
      await fn({ context, base, requests });
      passed++;
      console.log(`ok   ${name} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
    } catch (e) {
      failed++;
      console.log(`FAIL ${name} (${((Date.now() - t) / 1000).toFixed(1)} s): ${e.message.split('\n')[0]}`);
      if (process.env.E2E_VERBOSE) console.log(e.stack);
    }
  }
  await browser.close();
  server?.stop();
  console.log(`e2e: ${passed} passed, ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
}

main().catch((e) => {
  console.log(`e2e: crashed: ${e.stack || e}`);
  console.log('e2e: 0 passed, 1 failed');
  process.exitCode = 1;
});
