// Shared by the e2e suites (run.mjs, embed.mjs): the repository root, command-line options, a local static
// server, assertions, the rule for which requests count as local, and a suite's main (runSuite).

import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// Screenshots of both suites.
export const SHOTS = join(ROOT, 'e2e', 'shots');

// Screenshots always go to e2e/shots/; with UPDATE_SCREENSHOTS=1 they also replace the README's
// docs/screenshot-<name>.png (so that an ordinary test run leaves the working tree clean).
export function publishShot(name) {
  if (!process.env.UPDATE_SCREENSHOTS) return;
  mkdirSync(join(ROOT, 'docs'), { recursive: true });
  copyFileSync(join(SHOTS, `${name}.png`), join(ROOT, 'docs', `screenshot-${name}.png`));
}

const argv = process.argv.slice(2);
// The value after `--name` on the command line, or undefined.
export const arg = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};

// Every server serveDirectory started and did not stop yet: a suite that crashes stops them (a server left
// running would keep node, and the test script, waiting forever).
const servers = new Set();
const stopAllServers = () => { for (const proc of servers) proc.kill(); servers.clear(); };
process.on('exit', stopAllServers);

export function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

// `python3 -m http.server` for `dir` on a free port of the loopback address `bind`; resolves once
// `${base}/${probe}` answers, where base = the server's URL (with `host` as the host name: `bind`, or
// 'localhost' for another origin on 127.0.0.1) + `path` (a sub-path such as '/blog/lab', or '').
// `requests()` lists every request the server answered so far, as {method, path, status}.
export async function serveDirectory(dir, path = '', { onStop = () => {}, bind = '127.0.0.1', host = bind, probe = 'index.html' } = {}) {
  const port = await freePort();
  const proc = spawn('python3', ['-m', 'http.server', String(port), '--bind', bind, '--directory', dir],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  servers.add(proc);
  let log = '';
  proc.stderr.on('data', (b) => { log += b; });
  const base = `http://${host}:${port}${path}`;
  const stop = () => {
    proc.kill();
    servers.delete(proc);
    onStop();
  };
  // http.server's access log: ... "GET /path HTTP/1.1" 404 -
  const requests = () => [...log.matchAll(/"([A-Z]+) (\S+) HTTP\/[\d.]+" (\d{3})/g)]
    .map((m) => ({ method: m[1], path: m[2], status: Number(m[3]) }));
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`http://${bind}:${port}${path}/${probe}`)).ok) return { base, stop, log: () => log, requests };
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  stop();
  throw new Error(`http.server did not start: ${log}`);
}

export function assert(cond, message) {
  if (!cond) throw new Error(`assertion failed: ${message}`);
}

// file:, data:, blob:, about: URLs and the loopback hosts (127.x.y.z, localhost: the embedding suite's
// second and third origins) are local; every other request is a third-party request.
export const isLocal = (url) => {
  const u = new URL(url);
  return ['file:', 'data:', 'blob:', 'about:'].includes(u.protocol) || u.hostname === 'localhost'
    || /^127\.\d+\.\d+\.\d+$/.test(u.hostname);
};

// Runs every case (or those named in `only`) in order, each with `args`; prints "ok"/"FAIL" lines and returns
// {passed, failed}. `after` runs after each case (e.g. to close its pages).
export async function runCases(cases, args, { only, after = async () => {} } = {}) {
  let passed = 0;
  let failed = 0;
  for (const [name, fn] of Object.entries(cases)) {
    if (only && !only.includes(name)) continue;
    const t = Date.now();
    try {
      await fn(args);
      passed++;
      console.log(`ok   ${name} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
    } catch (e) {
      failed++;
      console.log(`FAIL ${name} (${((Date.now() - t) / 1000).toFixed(1)} s): ${e.message.split('\n')[0]}`);
      if (process.env.E2E_VERBOSE) console.log(e.stack);
    }
    await after();
  }
  return { passed, failed };
}

// Debian's headless Chromium (CHROMIUM overrides the path) and a context in which every request is recorded
// in `requests` and every non-local one is aborted and recorded in `offsite` (the "no third-party request"
// budget). Other route handlers registered later are matched first and may fall back to this one.
export async function openOfflineContext(chromium, { requests, offsite, ...contextOptions }) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    // --process-per-site: the pages of one site share a renderer process, so a worker instantiating the lab's
    // wasm finds it already compiled there (V8 keeps compiled modules per process) instead of compiling and
    // tiering it up again for every page: about half the CPU time of a suite (see runSuite's anchor page).
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--process-per-site'],
  });
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, ...contextOptions });
  context.on('request', (r) => requests.push(r.url()));
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (isLocal(url)) return route.fallback();
    offsite.push(url);
    return route.abort('addressunreachable');
  });
  return { browser, context };
}

// The last case of every suite: the recorder saw requests, and none of them left the loopback addresses.
export function offlineCase(offsite) {
  return async ({ requests }) => {
    assert(requests.length > 0, 'no requests were seen at all (the recorder is broken)');
    assert(offsite.length === 0, `requests left the machine: ${offsite.join(', ')}`);
  };
}

// A suite's main: serves the lab with `startServer()` (unless --base URL is given), opens the offline context
// (non-local requests are aborted into `offsite`), lets `prepare(context, base)` add routes or init scripts,
// opens the anchor page `${base}${anchor}` (the lab, kept open for the whole suite: its renderer process and
// the wasm compiled in it outlive each case's pages), runs the cases named by --only (all by default) with
// {context, base, requests}, closing every other page after each case (a run left
// going would take CPU from the next cases), and prints "<label>: N passed, M failed" (a crash counts as one
// failure); the exit code says whether any failed.
export function runSuite(label, cases, { startServer, offsite, contextOptions = {}, prepare = async () => {}, anchor = '/' }) {
  const main = async () => {
    mkdirSync(SHOTS, { recursive: true });
    const server = arg('--base') ? null : await startServer();
    const base = (arg('--base') || server.base).replace(/\/+$/, '');
    const requests = [];
    // A crash between here and the summary still closes the browser and the server: either one left open
    // keeps node (and the test script) waiting forever.
    let browser;
    try {
      const opened = await openOfflineContext(chromium, { requests, offsite, ...contextOptions });
      browser = opened.browser;
      await prepare(opened.context, base);
      const anchorPage = await opened.context.newPage();
      await anchorPage.goto(`${base}${anchor}`);
      await anchorPage.waitForSelector('body[data-ready="1"]', { timeout: 90_000 });
      const closeOthers = async () => {
        for (const p of opened.context.pages()) if (p !== anchorPage) await p.close();
      };
      const { passed, failed } = await runCases(cases, { context: opened.context, base, requests }, {
        only: arg('--only')?.split(','),
        after: closeOthers,
      });
      console.log(`${label}: ${passed} passed, ${failed} failed`);
      process.exitCode = failed ? 1 : 0;
    } finally {
      await browser?.close().catch(() => {});
      server?.stop();
    }
  };
  main().catch((e) => {
    console.log(`${label}: crashed: ${e.stack || e}`);
    console.log(`${label}: 0 passed, 1 failed`);
    process.exitCode = 1;
    stopAllServers();
  });
}

// Opens `url` in a new page of `context` and collects what went wrong on it: console errors, page errors,
// failed local requests (unless `tolerated(request)`) and HTTP errors. Returns {page, problems}.
export async function openWatchedPage(context, url, { viewport, tolerated = () => false } = {}) {
  const page = await context.newPage();
  if (viewport) await page.setViewportSize(viewport);
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    if (isLocal(r.url()) && !tolerated(r)) problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
  });
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  await page.goto(url);
  return { page, problems };
}

export const noProblems = (problems, where) => assert(problems.length === 0, `${where}: ${problems.join('; ')}`);
