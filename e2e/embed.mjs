// End-to-end tests of the embedding layer (www/embed.js, www/blog-example.html, the lab's embed mode) in
// headless Chromium (Debian's /usr/bin/chromium) via playwright-core.
//
//   node e2e/embed.mjs [--base http://127.0.0.1:PORT/path] [--only name,name]
//
// Without --base it serves a temporary directory in which the repository is linked at /blog/lab/, so the lab
// runs under a sub-path (http://127.0.0.1:PORT/blog/lab/index.html): a root-absolute URL anywhere breaks it.
// With --base, BASE must be the URL of the folder holding index.html (e.g. scripts/serve.sh's root URL).
// Test pages that are not in the repository are served by Playwright under BASE/__embed_test__/.
// Expects a built page (scripts/build-web.sh). Writes e2e/shots/blog.png (and, with UPDATE_SCREENSHOTS=1,
// docs/screenshot-blog.png).
// The last line printed is "e2e-embed: N passed, M failed"; the exit code is non-zero on any failure.

import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, SHOTS, assert, noProblems, offlineCase, openWatchedPage, publishShot, runSuite, serveDirectory } from './lib.mjs';

const READY_TIMEOUT = 60_000;
const DONE_TIMEOUT = 120_000;

// Serves a temporary directory holding a link blog/lab -> the repository: the lab lives under a sub-path.
function startServer() {
  const dir = mkdtempSync(join(tmpdir(), 'moment-lab-embed-'));
  mkdirSync(join(dir, 'blog'));
  symlinkSync(ROOT, join(dir, 'blog', 'lab'), 'dir');
  return serveDirectory(dir, '/blog/lab', { onStop: () => rmSync(dir, { recursive: true, force: true }) });
}

// Every request that is not local (lib.mjs) is aborted and recorded.
const offsite = [];

// Installed in every page before its scripts run: the top window records every moment-lab message (with the
// id of the frame it came from) and every moment-lab-* event in window.__labLog.
function recorder() {
  if (window.top !== window) return;
  const log = [];
  window.__labLog = log;
  const whichFrame = (src) => {
    if (src === window) return 'top';
    for (const f of document.querySelectorAll('iframe')) if (f.contentWindow === src) return f.id || 'iframe';
    for (const el of document.querySelectorAll('moment-lab')) {
      if (el.iframe && el.iframe.contentWindow === src) return el.id || 'moment-lab';
    }
    return 'other';
  };
  const entry = (kind, from, d) => ({
    kind, from, type: d.type, tab: d.tab, height: d.height, message: d.message,
    summary: d.summary && typeof d.summary === 'object' ? d.summary : null, t: performance.now(),
  });
  window.addEventListener('message', (e) => {
    const d = e.data;
    if (d && typeof d === 'object' && d.source === 'moment-lab') log.push(entry('message', whichFrame(e.source), d));
  }, true);
  for (const type of ['ready', 'height', 'done', 'error']) {
    window.addEventListener(`moment-lab-${type}`, (e) => log.push(entry('event', e.target.id || e.target.localName, e.detail)), true);
  }
}

// A test that replaces or removes a frame may cancel its fixture page's load: not a problem.
const openPage = (context, url, { viewport } = {}) => openWatchedPage(context, url, {
  viewport,
  tolerated: (r) => r.failure()?.errorText === 'net::ERR_ABORTED' && r.url().includes('/__embed_test__/'),
});


// Waits until the log has a `type` entry (or an 'error' one) of `kind` from `from`; fails on an error.
async function waitFor(page, { kind = 'message', from, type, timeout = DONE_TIMEOUT, after = 0 }) {
  try {
    await page.waitForFunction(({ kind, from, type, after }) => (window.__labLog || []).some((e) => e.kind === kind
      && e.from === from && (e.type === type || e.type === 'error') && e.t >= after), { kind, from, type, after },
    { timeout, polling: 100 });
  } catch (e) {
    const seen = await page.evaluate(() => (window.__labLog || []).map((x) => `${x.kind}:${x.from}:${x.type}`));
    throw new Error(`no ${kind} '${type}' from ${from} within ${timeout / 1000} s (seen: ${[...new Set(seen)].join(', ') || 'nothing'})`);
  }
  const hit = await page.evaluate(({ kind, from, type, after }) => window.__labLog.find((e) => e.kind === kind
    && e.from === from && (e.type === type || e.type === 'error') && e.t >= after), { kind, from, type, after });
  assert(hit.type === type, `${from} reported an error instead of '${type}': ${hit.message}`);
  return hit;
}

const log = (page) => page.evaluate(() => window.__labLog);
const now = (page) => page.evaluate(() => performance.now());

// The height in CSS px of a frame: a plain iframe by id, or a <moment-lab>'s iframe by the element's id.
const frameHeight = (page, id) => page.evaluate((id) => {
  const el = document.getElementById(id);
  const f = el.localName === 'moment-lab' ? el.iframe : el;
  return { style: f.style.height, box: f.getBoundingClientRect().height };
}, id);

const hashParams = (src) => Object.fromEntries(new URLSearchParams(new URL(src).hash.slice(1)));

// Test pages outside the repository, served by Playwright under BASE/__embed_test__/ (a sub-path of its own:
// embed.js is reached as ../www/embed.js). Same strict policy as the blog example: no inline script or style.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; frame-src 'self'; img-src 'self' data:; base-uri 'none'";
const fixtures = {
  'element.html': `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}"><link rel="icon" href="data:,">
<title>moment-lab element test</title><script type="module" src="../www/embed.js"></script></head><body>
<h1>element test</h1>
<moment-lab id="lab" experiment="cloud" seed="2" d="500" dim="2" k="2" target="30" autorun hide="seed,target" class="x" title="lab under test" data-note="not forwarded" aria-label="lab"></moment-lab>
</body></html>`,
  'stub-host.html': `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}"><link rel="icon" href="data:,">
<title>moment-lab protocol test</title><script type="module" src="../www/embed.js"></script></head><body>
<moment-lab id="stub" src="stub.html" experiment="theory" loading="eager"></moment-lab>
</body></html>`,
  'tabs.html': `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}"><link rel="icon" href="data:,">
<title>moment-lab error and dataset test</title><script type="module" src="../www/embed.js"></script></head><body>
<moment-lab id="bad" experiment="cloud" k="2" target="3" autorun loading="eager"></moment-lab>
<moment-lab id="data" experiment="dataset" preset="quick" autorun hide="all" loading="eager"></moment-lab>
</body></html>`,
  // A stand-in for the lab that speaks the protocol: ready, height 777, done or (with fail=1) error.
  'stub.html': `<!doctype html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'self'">
<script src="stub.js"></script></head><body>stub</body></html>`,
  'stub.js': `const p = new URLSearchParams(location.hash.slice(1));
const tab = p.get('tab');
const post = (m) => parent.postMessage(Object.assign({ source: 'moment-lab', tab }, m), '*');
post({ type: 'ready' });
post({ type: 'height', height: 777 });
post({ type: 'height', height: 'junk' });
parent.postMessage({ source: 'someone-else', type: 'height', height: 3 }, '*');
if (p.get('fail') === '1') post({ type: 'error', message: 'stub failure' });
else post({ type: 'done', summary: { ok: true, params: Object.fromEntries(p) } });`,
  // A host for the privacy cases: the frames (or <moment-lab> elements) listed in its hash as JSON
  // [{id, src} | {id, attrs}], and every message from them, whole, in window.__raw.
  'frame-host.html': `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}"><link rel="icon" href="data:,">
<title>moment-lab frame host</title><script type="module" src="../www/embed.js"></script>
<script src="frame-host.js"></script></head><body><h1>frame host</h1></body></html>`,
  'frame-host.js': `window.__raw = [];
const spec = JSON.parse(decodeURIComponent(location.hash.slice(1)) || '[]');
const windows = new Map();
document.addEventListener('DOMContentLoaded', () => {
  for (const s of spec) {
    let el;
    if (s.attrs) {
      el = document.createElement('moment-lab');
      for (const [k, v] of Object.entries(s.attrs)) el.setAttribute(k, v);
    } else {
      el = document.createElement('iframe');
      el.src = s.src;
      el.title = s.id;
    }
    el.id = s.id;
    document.body.append(el);
  }
});
const fromWhich = (src) => {
  for (const s of spec) {
    const el = document.getElementById(s.id);
    const f = el && (el.localName === 'moment-lab' ? el.iframe : el);
    if (f && f.contentWindow === src) return s.id;
  }
  return 'other';
};
window.addEventListener('message', (e) => {
  window.__raw.push({ from: fromWhich(e.source), origin: e.origin, data: JSON.stringify(e.data), t: performance.now() });
});`,
  // No policy at all: a javascript: URL in a frame would run here (the scheme case must not rely on CSP).
  'scheme.html': `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,">
<title>moment-lab src scheme test</title><script type="module" src="../www/embed.js"></script></head><body>
<h1>src scheme test</h1></body></html>`,
};

async function serveFixtures(context, base) {
  await context.route(`${base}/__embed_test__/**`, (route) => {
    const name = new URL(route.request().url()).pathname.split('/').pop();
    const body = fixtures[name];
    if (body === undefined) return route.fulfill({ status: 404, body: 'no such fixture' });
    return route.fulfill({
      status: 200,
      contentType: name.endsWith('.js') ? 'text/javascript' : 'text/html; charset=utf-8',
      body,
    });
  });
}

// ------------------------------------------------------------------ cases

const cases = {
  // (a) the blog post: both embedded experiments run to the end and size their frames; nothing leaves 127.0.0.1.
  async blog({ context, base }) {
    const { page, problems } = await openPage(context, `${base}/www/blog-example.html`, { viewport: { width: 1100, height: 900 } });
    assert(await page.evaluate(() => customElements.get('moment-lab') !== undefined), '<moment-lab> not defined');

    const cloudSrc = await page.getAttribute('#cloud-frame', 'src');
    assert(cloudSrc.startsWith('../index.html?embed=1#v=1&tab=cloud&'), `plain iframe src ${cloudSrc}`);
    const lth = await page.evaluate(() => {
      const f = document.getElementById('lth-lab').iframe;
      return f && { src: f.src, title: f.title, loading: f.getAttribute('loading') };
    });
    assert(lth, '<moment-lab> created no iframe');
    assert(lth.src.startsWith(`${base}/index.html?embed=1#`), `<moment-lab> iframe src ${lth.src} is not ${base}/index.html?embed=1#…`);
    const lp = hashParams(lth.src);
    assert(lp.v === '1' && lp.tab === 'lth' && lp.preset === 'quick' && lp.autorun === '1' && !('title' in lp),
      `<moment-lab> hash params ${JSON.stringify(lp)}`);
    assert(lth.title && lth.loading === 'lazy', `<moment-lab> iframe title ${JSON.stringify(lth.title)}, loading ${lth.loading}`);

    // Both frames are lazy: bring each into view (a frame far below the fold does not load).
    await page.locator('#cloud-embed').scrollIntoViewIfNeeded();
    const cloudDone = await waitFor(page, { from: 'cloud-frame', type: 'done' });
    assert(cloudDone.tab === 'cloud', `cloud 'done' has tab ${cloudDone.tab}`);
    assert(cloudDone.summary, "cloud 'done' without a summary object");
    await page.locator('#lth-embed').scrollIntoViewIfNeeded();
    const lthDone = await waitFor(page, { kind: 'event', from: 'lth-lab', type: 'done' });
    assert(lthDone.tab === 'lth', `lth 'done' has tab ${lthDone.tab}`);
    assert(lthDone.summary, "lth 'done' without a summary object");

    // The labs keep drawing after 'done' (the LTH heat maps land in later frames) and report every new
    // height. Wait until each frame's content fits it, then read the log and the frame heights in ONE
    // evaluate: with two reads a height message could arrive in between ("lth-lab: frame height 1464px,
    // last reported 1298px").
    for (const f of page.frames().filter((f) => f !== page.mainFrame() && f.url().includes('index.html'))) {
      await f.waitForFunction(() => document.documentElement.scrollHeight - window.innerHeight <= 1, null, { timeout: 20_000 })
        .catch(() => {});   // reported below
    }
    const { entries, frames } = await page.evaluate(() => ({
      entries: window.__labLog,
      frames: Object.fromEntries(['cloud-frame', 'lth-lab'].map((id) => {
        const el = document.getElementById(id);
        const f = el.localName === 'moment-lab' ? el.iframe : el;
        return [id, { style: f.style.height, box: f.getBoundingClientRect().height }];
      })),
    }));
    for (const from of ['cloud-frame', 'lth-lab']) {
      const kind = from === 'lth-lab' ? 'event' : 'message';
      assert(entries.some((e) => e.kind === kind && e.from === from && e.type === 'ready'), `${from}: no 'ready'`);
      const heights = entries.filter((e) => e.kind === kind && e.from === from && e.type === 'height');
      assert(heights.length > 0, `${from}: no 'height' message`);
      const last = Math.min(20000, Math.ceil(Number(heights.at(-1).height)));
      const h = frames[from];
      assert(h.box > 100, `${from}: frame is ${h.box} px high`);
      assert(h.style === `${last}px`, `${from}: frame height ${h.style}, last reported ${last}px`);
    }
    assert(await page.getAttribute('#cloud-frame', 'data-done') === '1', 'blog-example.js did not mark the plain iframe done');
    for (const id of ['cloud-frame', 'lth-lab']) {
      const state = await page.getAttribute(`[data-status-for="${id}"]`, 'data-state');
      assert(state === 'done', `status line of ${id} is ${state}`);
    }
    // Frames from inside: embed mode is on and the run finished.
    for (const f of page.frames().filter((f) => f !== page.mainFrame() && f.url().includes('index.html'))) {
      const b = await f.evaluate(() => ({ embed: document.body.dataset.embed, done: document.body.dataset.done,
        overflow: document.documentElement.scrollHeight - window.innerHeight }));
      assert(b.embed === '1' && b.done === '1', `frame ${f.url()}: body data-embed=${b.embed} data-done=${b.done}`);
      // The reported height is the whole content: the frame has nothing to scroll.
      assert(b.overflow <= 1, `frame ${f.url()}: content is ${b.overflow} px taller than the frame`);
    }

    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(SHOTS, 'blog.png'), fullPage: true });
    publishShot('blog');
    noProblems(problems, 'blog example');
    assert(offsite.length === 0, `requests left 127.0.0.1: ${offsite.join(', ')}`);

    // Phone width: the post does not scroll sideways.
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert(overflow <= 0, `phone width: the post is ${overflow}px wider than the screen`);
  },

  // (b) the element on a page in another folder; the iframe URL is built from the attributes relative to
  // embed.js, and changing attributes rebuilds the iframe.
  async element({ context, base }) {
    const { page, problems } = await openPage(context, `${base}/__embed_test__/element.html`);
    await page.waitForFunction(() => document.getElementById('lab').iframe, null, { timeout: 10_000 });
    const first = await page.evaluate(() => {
      const el = document.getElementById('lab');
      return { src: el.iframe.src, frameSrc: el.frameSrc, display: getComputedStyle(el).display,
        width: el.iframe.getBoundingClientRect().width, body: document.body.getBoundingClientRect().width };
    });
    const u = new URL(first.src);
    assert(`${u.origin}${u.pathname}` === `${base}/index.html` && u.search === '?embed=1',
      `iframe src ${first.src}: want ${base}/index.html?embed=1#…`);
    assert(first.frameSrc === first.src, `frameSrc ${first.frameSrc}`);
    const p = hashParams(first.src);
    const want = { v: '1', tab: 'cloud', seed: '2', d: '500', dim: '2', k: '2', target: '30', hide: 'seed,target', autorun: '1' };
    assert(JSON.stringify(p) === JSON.stringify(want), `hash ${JSON.stringify(p)}, want ${JSON.stringify(want)} (in this order)`);
    assert(u.hash.startsWith('#v=1&tab=cloud&'), `hash ${u.hash} should start with v=1&tab=cloud`);
    assert(first.display === 'block', `<moment-lab> display ${first.display}`);
    assert(Math.abs(first.width - first.body) < 1, `iframe ${first.width} px wide in a ${first.body} px body`);

    const ready = await waitFor(page, { kind: 'event', from: 'lab', type: 'ready', timeout: READY_TIMEOUT });
    assert(ready.tab === 'cloud', `ready tab ${ready.tab}`);
    await waitFor(page, { kind: 'event', from: 'lab', type: 'done' });
    // The controls named in hide= are hidden inside the lab.
    const labFrame = page.frames().find((f) => f.url().startsWith(`${base}/index.html`));
    // The page marks each parameter's control with data-field; the ones named in hide= must not be visible.
    const shown = await labFrame.evaluate(() => ['seed', 'target', 'd'].map((name) => {
      const els = [...document.querySelectorAll(`[data-field="${name}"]`)];
      return els.length === 0 ? null : els.some((el) => el.offsetParent !== null);
    }));
    assert(shown[0] === false && shown[1] === false && shown[2] === true,
      `hide=seed,target: seed/target/d controls visible = ${JSON.stringify(shown)}, want [false,false,true]`);

    // Several attribute changes in one task: one new iframe, a fresh page load with the new parameters.
    const t0 = await now(page);
    const second = await page.evaluate(() => {
      const el = document.getElementById('lab');
      window.__oldFrame = el.iframe;
      el.setAttribute('seed', '5');
      el.setAttribute('target', '25');
      el.setAttribute('undeclared-param', 'x y');   // not in observedAttributes: caught by the MutationObserver
      el.removeAttribute('autorun');
      return new Promise((r) => setTimeout(() => r({
        replaced: el.iframe !== window.__oldFrame,
        oldGone: !window.__oldFrame.isConnected,
        frames: el.shadowRoot.querySelectorAll('iframe').length,
        src: el.iframe.src,
      }), 50));
    });
    assert(second.replaced && second.oldGone && second.frames === 1,
      `attribute change: replaced ${second.replaced}, old removed ${second.oldGone}, ${second.frames} iframes`);
    const p2 = hashParams(second.src);
    assert(p2.seed === '5' && p2.target === '25' && p2['undeclared-param'] === 'x y' && !('autorun' in p2),
      `after the change: ${JSON.stringify(p2)}`);
    assert(new URL(second.src).hash.includes('undeclared-param=x+y'), `values not URLSearchParams-encoded: ${second.src}`);
    await waitFor(page, { kind: 'event', from: 'lab', type: 'ready', timeout: READY_TIMEOUT, after: t0 });
    // An unchanged attribute value (re-set) keeps the frame.
    const kept = await page.evaluate(() => {
      const el = document.getElementById('lab');
      const f = el.iframe;
      el.setAttribute('seed', '5');
      return new Promise((r) => setTimeout(() => r(el.iframe === f), 50));
    });
    assert(kept, 're-setting an attribute to the same value rebuilt the iframe');
    // experiment= switches the tab.
    const t1 = await now(page);
    const p3 = await page.evaluate(() => {
      const el = document.getElementById('lab');
      el.setAttribute('experiment', 'lth');
      el.setAttribute('preset', 'quick');
      return new Promise((r) => setTimeout(() => r(el.iframe.src), 50));
    }).then(hashParams);
    assert(p3.tab === 'lth' && p3.preset === 'quick', `experiment=lth: ${JSON.stringify(p3)}`);
    const r3 = await waitFor(page, { kind: 'event', from: 'lab', type: 'ready', timeout: READY_TIMEOUT, after: t1 });
    assert(r3.tab === 'lth', `ready after experiment=lth says tab ${r3.tab}`);
    noProblems(problems, 'element page');
  },

  // (c) messages from any window but the element's own iframe are ignored.
  async spoofing({ context, base }) {
    const { page, problems } = await openPage(context, `${base}/__embed_test__/element.html`);
    await waitFor(page, { kind: 'event', from: 'lab', type: 'done' });
    // Let the last height settle.
    await page.waitForTimeout(500);
    const before = (await frameHeight(page, 'lab')).style;
    assert(before !== '5px' && parseFloat(before) > 100, `frame height ${before} before the fake messages`);
    const t0 = await now(page);
    // 1. from the top window itself
    await page.evaluate(() => window.postMessage({ source: 'moment-lab', type: 'height', height: 5 }, '*'));
    await page.evaluate(() => window.postMessage({ source: 'moment-lab', type: 'done', tab: 'cloud', summary: {} }, '*'));
    // 2. from a sibling frame of the same origin
    await page.evaluate(() => new Promise((r) => {
      const f = document.createElement('iframe');
      f.id = 'sibling';
      f.onload = r;
      f.src = 'about:blank';
      document.body.append(f);
    }));
    const sibling = page.frames().find((f) => f.url() === 'about:blank');
    assert(sibling, 'sibling frame not found');
    await sibling.evaluate(() => parent.postMessage({ source: 'moment-lab', type: 'height', height: 5 }, '*'));
    // 3. from the lab's own frame but without source 'moment-lab'
    const labFrame = page.frames().find((f) => f.url().startsWith(`${base}/index.html`));
    await labFrame.evaluate(() => parent.postMessage({ source: 'not-the-lab', type: 'height', height: 5 }, '*'));
    await page.waitForTimeout(500);
    const entries = await log(page);
    const fakes = entries.filter((e) => e.kind === 'message' && e.t >= t0 && e.height === 5);
    assert(fakes.length >= 2, `the fake messages were not delivered (${fakes.length} seen): the test is broken`);
    const leaked = entries.filter((e) => e.kind === 'event' && e.t >= t0);
    assert(leaked.length === 0, `fake messages re-dispatched: ${JSON.stringify(leaked)}`);
    const after = (await frameHeight(page, 'lab')).style;
    assert(after === before, `frame height changed from ${before} to ${after} on fake messages`);
    // Positive control: the same message from the lab's own frame is accepted.
    await labFrame.evaluate(() => parent.postMessage({ source: 'moment-lab', type: 'height', height: 321 }, '*'));
    await page.waitForFunction(() => document.getElementById('lab').iframe.style.height === '321px', null, { timeout: 5000 });
    noProblems(problems, 'spoofing');
  },

  // The real lab through the element: a bad parameter gives moment-lab-error (and no 'done'); another
  // experiment (dataset, everything hidden) runs to the end.
  async lab_events({ context, base }) {
    const { page, problems } = await openPage(context, `${base}/__embed_test__/tabs.html`);
    const err = await page.waitForFunction(() => (window.__labLog || []).find((e) => e.kind === 'event' && e.from === 'bad'
      && (e.type === 'error' || e.type === 'done')), null, { timeout: DONE_TIMEOUT }).then((h) => h.jsonValue());
    assert(err.type === 'error' && err.tab === 'cloud' && /\b6\b/.test(err.message),
      `target=3 < N(2,2)=6: got ${JSON.stringify(err)}`);
    const last = await page.evaluate(() => document.getElementById('bad').lastMessage);
    assert(last && last.type === 'error', `lastMessage after an error: ${JSON.stringify(last)}`);
    const done = await waitFor(page, { kind: 'event', from: 'data', type: 'done' });
    assert(done.tab === 'dataset' && done.summary, `dataset done: ${JSON.stringify(done).slice(0, 200)}`);
    const dataFrame = page.frames().find((f) => f.url().includes('tab=dataset'));
    const shown = await dataFrame.evaluate(() => [...document.querySelectorAll('[data-field]')].filter((el) => el.offsetParent !== null).length);
    assert(shown === 0, `hide=all: ${shown} parameter controls still visible`);
    noProblems(problems.filter((p) => !/target size 3/.test(p)), 'lab events');
  },

  // 'height' follows the content both ways: when the lab's content gets shorter, the frame shrinks.
  async height_shrinks({ context, base }) {
    const { page, problems } = await openPage(context, `${base}/__embed_test__/element.html`);
    await waitFor(page, { kind: 'event', from: 'lab', type: 'done' });
    await page.waitForTimeout(300);
    const before = parseFloat((await frameHeight(page, 'lab')).style);
    const labFrame = page.frames().find((f) => f.url().startsWith(`${base}/index.html`));
    const content = await labFrame.evaluate(() => {
      // Hide everything but the first visible block of the experiment: the content is now much shorter.
      const blocks = [...document.querySelectorAll('.result, figure, canvas, table')];
      for (const b of blocks) b.style.display = 'none';
      return document.documentElement.getBoundingClientRect().height;
    });
    assert(content < before - 50, `test setup: content ${content} px is not shorter than the frame ${before} px`);
    try {
      await page.waitForFunction((limit) => parseFloat(document.getElementById('lab').iframe.style.height) < limit,
        before - 50, { timeout: 3000 });
    } catch {
      const heights = (await log(page)).filter((e) => e.kind === 'message' && e.type === 'height').map((e) => e.height);
      throw new Error(`the lab's content shrank to ${Math.ceil(content)} px but the frame stays ${before} px `
        + `(heights reported: ${heights.join(', ')}): the page must report its content height, not `
        + `documentElement.scrollHeight, which is never less than the frame's own height`);
    }
    noProblems(problems, 'height shrinks');
  },

  // The element against a stub lab page (src= override): events, detail, height, junk filtering, errors.
  async protocol({ context, base }) {
    const { page, problems } = await openPage(context, `${base}/__embed_test__/stub-host.html`);
    await waitFor(page, { kind: 'event', from: 'stub', type: 'done', timeout: 20_000 });
    const r = await page.evaluate(() => {
      const el = document.getElementById('stub');
      return { src: el.iframe.src, height: el.iframe.style.height, ready: el.ready, last: el.lastMessage,
        loading: el.iframe.getAttribute('loading') };
    });
    assert(r.src.startsWith(`${base}/__embed_test__/stub.html?embed=1#v=1&tab=theory`), `stub src ${r.src}`);
    assert(r.loading === 'eager', `loading=eager not applied: ${r.loading}`);
    assert(r.height === '777px', `height ${r.height}, want 777px (and the junk height ignored)`);
    assert(r.ready === true, 'el.ready not set');
    assert(r.last && r.last.type === 'done' && r.last.summary.ok === true && r.last.summary.params.tab === 'theory',
      `lastMessage ${JSON.stringify(r.last)}`);
    const events = (await log(page)).filter((e) => e.kind === 'event').map((e) => `${e.type}:${e.height ?? ''}`);
    assert(JSON.stringify(events) === JSON.stringify(['ready:', 'height:777', 'done:']), `events ${JSON.stringify(events)}`);
    // An error from the lab becomes moment-lab-error.
    const t0 = await now(page);
    await page.evaluate(() => document.getElementById('stub').setAttribute('fail', '1'));
    const err = await page.waitForFunction((t0) => window.__labLog.find((e) => e.kind === 'event' && e.type === 'error' && e.t >= t0),
      t0, { timeout: 20_000 }).then((h) => h.jsonValue());
    assert(err.message === 'stub failure', `error event ${JSON.stringify(err)}`);
    // Removed from the document and put back: the iframe reloads and the element listens again.
    const t1 = await now(page);
    await page.evaluate(() => {
      const el = document.getElementById('stub');
      el.remove();
      el.removeAttribute('fail');
      document.body.append(el);
    });
    await waitFor(page, { kind: 'event', from: 'stub', type: 'done', timeout: 20_000, after: t1 });
    noProblems(problems, 'protocol');
  },

  // Framed without ?embed=1 the lab is a page like any other: it posts nothing to its parent.
  async post_only_in_embed_mode({ context, base }) {
    const hash = '#v=1&tab=cloud&d=300&target=20&autorun=1';
    const spec = [{ id: 'plain', src: `${base}/index.html${hash}` }, { id: 'embedded', src: `${base}/index.html?embed=1${hash}` }];
    const { page, problems } = await openPage(context, `${base}/__embed_test__/frame-host.html#${encodeURIComponent(JSON.stringify(spec))}`);
    await page.waitForFunction(() => window.__raw.some((m) => m.from === 'embedded' && JSON.parse(m.data).type === 'done'), null, { timeout: DONE_TIMEOUT });
    const plain = page.frames().find((f) => f.url().startsWith(`${base}/index.html#`));
    await plain.waitForFunction(() => document.body.dataset.done === '1', null, { timeout: DONE_TIMEOUT });
    const raw = await page.evaluate(() => window.__raw);
    const leaked = raw.filter((m) => m.from === 'plain');
    assert(leaked.length === 0, `the lab framed without ?embed=1 posted ${leaked.length} messages: ${leaked.map((m) => m.data.slice(0, 80)).join('; ')}`);
    noProblems(problems, 'post only in embed mode');
  },

  // ?parent=<origin> makes the lab post only to that origin; an invalid one turns the messages off (with a
  // console warning); <moment-lab parent-origin> passes the page's own origin.
  async parent_origin({ context, base }) {
    const origin = new URL(base).origin;
    const hash = '#v=1&tab=cloud&d=300&target=20&autorun=1';
    const lab = (q) => `${base}/index.html?embed=1&parent=${encodeURIComponent(q)}${hash}`;
    const spec = [
      { id: 'elsewhere', src: lab('http://elsewhere.example') },
      { id: 'bad', src: lab('javascript:alert(1)') },
      { id: 'mine', src: lab(origin) },
      { id: 'element', attrs: { experiment: 'cloud', d: '300', target: '20', autorun: '', 'parent-origin': '', loading: 'eager' } },
    ];
    const page = await context.newPage();
    const warnings = [];
    const problems = [];
    page.on('console', (m) => {
      if (m.type() === 'warning') warnings.push(m.text());
      if (m.type() === 'error') problems.push(m.text());
    });
    await page.goto(`${base}/__embed_test__/frame-host.html#${encodeURIComponent(JSON.stringify(spec))}`);
    const done = (id) => page.waitForFunction((id) => window.__raw.some((m) => m.from === id && JSON.parse(m.data).type === 'done'), id, { timeout: DONE_TIMEOUT });
    await done('mine');
    await done('element');
    for (const id of ['elsewhere', 'bad']) {
      const f = page.frames().find((fr) => fr.url().includes(encodeURIComponent(id === 'bad' ? 'javascript:alert(1)' : 'http://elsewhere.example')));
      await f.waitForFunction(() => document.body.dataset.done === '1', null, { timeout: DONE_TIMEOUT });
    }
    const raw = await page.evaluate(() => window.__raw);
    for (const id of ['elsewhere', 'bad']) {
      const got = raw.filter((m) => m.from === id);
      assert(got.length === 0, `${id}: ${got.length} messages reached a page of another origin: ${got.map((m) => m.data.slice(0, 60)).join('; ')}`);
    }
    assert(raw.filter((m) => m.from === 'mine').every((m) => m.origin === origin), 'messages of the right origin');
    const src = await page.evaluate(() => document.getElementById('element').iframe.src);
    assert(new URL(src).searchParams.get('parent') === origin, `<moment-lab parent-origin>: src ${src}`);
    assert(warnings.some((w) => /not an http\(s\) origin/.test(w)), `no console warning about parent=javascript:…: ${JSON.stringify(warnings)}`);
    noProblems(problems, 'parent origin');
  },

  // After a reader runs their own CSV in an embedded lab, the parent learns that a run on their data
  // finished or failed — nothing else: no summary, no error text (it quotes cells), no heights.
  async csv_posts_nothing({ context, base }) {
    const spec = [{ id: 'lab', src: `${base}/index.html?embed=1#v=1&tab=cloud&target=20` }];
    const { page, problems } = await openPage(context, `${base}/__embed_test__/frame-host.html#${encodeURIComponent(JSON.stringify(spec))}`);
    await page.waitForFunction(() => window.__raw.some((m) => m.from === 'lab' && JSON.parse(m.data).type === 'ready'), null, { timeout: READY_TIMEOUT });
    const frame = page.frames().find((f) => f.url().startsWith(`${base}/index.html?embed=1`));
    // The built-in page's own layout settles after 'ready' (the preset fills the form): wait until the last
    // height posted is the page's height, so that only what the upload causes is counted below.
    await frame.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    await page.waitForFunction(async (h) => {
      const heights = window.__raw.filter((m) => m.from === 'lab' && JSON.parse(m.data).type === 'height');
      return heights.length > 0 && JSON.parse(heights.at(-1).data).height === h;
    }, await frame.evaluate(() => Math.ceil(document.body.getBoundingClientRect().height)), { timeout: READY_TIMEOUT });
    const since = async () => {
      const t = await now(page);
      return async () => (await page.evaluate(() => window.__raw)).filter((m) => m.from === 'lab' && m.t >= t).map((m) => JSON.parse(m.data));
    };
    // A file of distinctive values: 0.7071067 plus row and column, 120 rows.
    const rows = ['secret_x,secret_y'];
    for (let i = 0; i < 120; i++) rows.push(`${(0.7071067 + i * 1.1).toFixed(7)},${(-3.1415926 + i * 0.37).toFixed(7)}`);
    let messages = await since();
    await frame.setInputFiles('#tab-cloud [data-role="csv"]', { name: 'patients-2026.csv', mimeType: 'text/csv', buffer: Buffer.from(rows.join('\n')) });
    await frame.waitForFunction(() => document.body.dataset.done === '1', null, { timeout: DONE_TIMEOUT });
    await page.waitForFunction(() => window.__raw.some((m) => m.from === 'lab' && JSON.parse(m.data).type === 'done'), null, { timeout: DONE_TIMEOUT });
    await frame.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));   // a height would be posted by now
    let got = await messages();
    assert(got.length === 1 && JSON.stringify(got[0]) === JSON.stringify({ source: 'moment-lab', type: 'done', tab: 'cloud', userData: true }),
      `after a run on the reader's file the parent got ${JSON.stringify(got).slice(0, 300)}`);
    // A refused file: its error quotes a cell.
    messages = await since();
    await frame.setInputFiles('#tab-cloud [data-role="csv"]', { name: 'patients-2027.csv', mimeType: 'text/csv', buffer: Buffer.from('secret_x,secret_y\n1,2\n3,SECRET-CELL-42\n') });
    await frame.waitForSelector('#tab-cloud [data-role="error"]:not([hidden])', { timeout: DONE_TIMEOUT });
    await page.waitForFunction(() => window.__raw.some((m) => m.from === 'lab' && JSON.parse(m.data).type === 'error'), null, { timeout: DONE_TIMEOUT });
    await frame.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    got = await messages();
    assert(got.length === 1 && JSON.stringify(got[0]) === JSON.stringify({ source: 'moment-lab', type: 'error', tab: 'cloud', userData: true }),
      `after a refused file the parent got ${JSON.stringify(got).slice(0, 300)}`);
    const all = JSON.stringify(await page.evaluate(() => window.__raw));
    for (const secret of ['SECRET', 'secret_', 'patients', '0.7071067', '3.1415926']) assert(!all.includes(secret), `"${secret}" reached the parent`);
    // Run on the built-in data again: the parent gets the summary again.
    messages = await since();
    await frame.click('#tab-cloud [data-action="run"]');
    await page.waitForFunction(() => window.__raw.filter((m) => m.from === 'lab' && JSON.parse(m.data).type === 'done').length >= 2, null, { timeout: DONE_TIMEOUT });
    got = (await messages()).filter((m) => m.type === 'done');
    assert(got.length === 1 && got[0].summary && got[0].summary.d === 1000, `built-in run after the file: ${JSON.stringify(got).slice(0, 200)}`);
    noProblems(problems, 'CSV posts nothing');
  },

  // <moment-lab src> takes only http(s) URLs: javascript:, data:, blob: and file: (on an http page) fall
  // back to the default lab page with a console warning, and never run.
  async src_scheme({ context, base }) {
    const page = await context.newPage();
    const warnings = [];
    const problems = [];
    page.on('console', (m) => {
      if (m.type() === 'warning') warnings.push(m.text());
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${base}/__embed_test__/scheme.html`);
    await page.waitForFunction(() => customElements.get('moment-lab'), null, { timeout: 10_000 });
    const bad = ['javascript:top.__pwned=1', ' JavaScript:top.__pwned=2', 'java\tscript:top.__pwned=3',
      'data:text/html,<script>top.__pwned=4<\/script>', 'blob:http://127.0.0.1/x', 'file:///etc/passwd', 'http://[::1'];
    const srcs = await page.evaluate((bad) => {
      const out = [];
      for (const [i, src] of [...bad, 'stub.html'].entries()) {
        const el = document.createElement('moment-lab');
        el.id = `lab${i}`;
        el.setAttribute('experiment', 'theory');
        el.setAttribute('loading', 'eager');
        el.setAttribute('src', src);
        document.body.append(el);
        out.push(el.iframe.src);
      }
      return out;
    }, bad);
    bad.forEach((src, i) => assert(srcs[i].startsWith(`${base}/index.html?embed=1#v=1&tab=theory`),
      `src=${JSON.stringify(src)} gave the iframe ${srcs[i]}`));
    assert(srcs.at(-1).startsWith(`${base}/__embed_test__/stub.html?embed=1#`), `src="stub.html": ${srcs.at(-1)}`);
    const refused = warnings.filter((w) => /<moment-lab>: src .* is not an http\(s\) URL/.test(w));
    assert(refused.length === bad.length, `${refused.length} warnings for ${bad.length} refused srcs: ${JSON.stringify(warnings)}`);
    await page.waitForFunction((n) => document.querySelectorAll('moment-lab').length === n
      && [...document.querySelectorAll('moment-lab')].every((el) => el.ready), bad.length + 1, { timeout: READY_TIMEOUT });
    assert(await page.evaluate(() => window.__pwned) === undefined, 'a javascript: src ran in the host page');
    noProblems(problems, 'src scheme');
  },

  // The single-file build in embed mode, opened from disk (file://), as EMBED.md describes.
  async single_file({ context }) {
    const file = join(ROOT, 'www', 'single.html');
    assert(existsSync(file), 'www/single.html missing (run scripts/build-web.sh)');
    const dir = mkdtempSync(join(tmpdir(), 'moment-lab-file-'));
    try {
      const host = join(dir, 'post.html');
      const src = `${pathToFileURL(file).href}?embed=1#v=1&tab=cloud&seed=1&d=1000&dim=2&k=2&target=40&autorun=1`;
      writeFileSync(host, `<!doctype html><meta charset="utf-8"><title>file host</title>
<iframe id="single" src="${src}" title="Moment Lab" style="width:100%;border:0"></iframe>`);
      const { page, problems } = await openPage(context, pathToFileURL(host).href);
      const done = await waitFor(page, { from: 'single', type: 'done' });
      assert(done.tab === 'cloud' && done.summary, `single.html done: ${JSON.stringify(done)}`);
      const heights = (await log(page)).filter((e) => e.from === 'single' && e.type === 'height');
      assert(heights.length > 0 && heights.at(-1).height > 100, `single.html heights ${JSON.stringify(heights.map((h) => h.height))}`);
      noProblems(problems, 'single.html framed from file://');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },

  offline: offlineCase(offsite),
};

// ------------------------------------------------------------------ main

runSuite('e2e-embed', cases, {
  startServer,
  offsite,
  prepare: async (context, base) => {
    await context.addInitScript(recorder);
    await serveFixtures(context, base);   // registered last: matched first
  },
  after: async (context) => { for (const p of context.pages()) await p.close(); },
});
