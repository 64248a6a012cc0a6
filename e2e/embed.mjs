// End-to-end tests of the embedding layer (the published embed.js, the blog example, the lab's embed mode) in
// headless Chromium (Debian's /usr/bin/chromium) via playwright-core, as it is used: the built folder
// (scripts/build-web.sh --dist dist) on one origin, the pages that embed it on others.
//
//   node e2e/embed.mjs [--dist DIR] [--only name,name]
//
// Three python3 -m http.server processes, three origins, all on loopback addresses:
// - the lab: DIR (default dist/) under a sub-path, http://127.0.0.1:P/sites/lab/v0.2/ (`base` in the cases):
//   a root-absolute URL anywhere breaks it;
// - the blog: http://localhost:Q/blog/blog-example.html, the folder's example post with its lab URLs made
//   absolute (as a blogger copies the snippets), and the test pages under http://localhost:Q/__embed_test__/,
//   which load the published embed.js from the lab's origin;
// - a third origin, http://127.0.0.2:R/, whose page posts forged lab messages.
// (A test page on the lab's own origin loads embed.js as a module: /sites/__embed_test__/.) The suite fails on any
// request a server answered with an error (a file the pages need that is not in the folder), and checks the
// folder against the list of files it should hold (DIST_FILES).
// Writes e2e/shots/blog.png (and, with UPDATE_SCREENSHOTS=1, docs/screenshot-blog.png).
// The last line printed is "e2e-embed: N passed, M failed"; the exit code is non-zero on any failure.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LAB_VERSION, PROTOCOL } from '../www/lab/embedding.js';
import { ROOT, SHOTS, arg, assert, noProblems, offlineCase, openWatchedPage, publishShot, runSuite, serveDirectory } from './lib.mjs';

const READY_TIMEOUT = 60_000;
const DONE_TIMEOUT = 120_000;

const DIST = resolve(arg('--dist') || join(ROOT, 'dist'));
const SERIES = `v${LAB_VERSION.split('.').slice(0, 2).join('.')}`;
const VERSION_DIR = join(DIST, SERIES);

// What the version folder holds, and nothing else: no source, no tests, no fixtures, no source maps, no
// node_modules. Each name or pattern matches exactly one file (scripts/bundle.mjs writes them).
const DIST_FILES = [
  'index.html', 'embed.js', 'single.html', 'README.txt',
  'blog-example.html', 'blog-example.css', 'blog-example.js',
  /^assets\/main-[A-Z0-9]{8}\.js$/, /^assets\/style-[A-Z0-9]{8}\.css$/, /^assets\/worker-[A-Z0-9]{8}\.js$/,
  /^assets\/moment_lab_bg-[0-9a-f]{12}\.wasm$/,
];
// Next to the version folders: the redirect, the headers file for Netlify / Cloudflare Pages, the zips.
const TOP_FILES = ['index.html', '_headers', /^moment-lab-v\d+\.\d+\.zip$/, /^v\d+\.\d+$/];
const matches = (want, f) => (typeof want === 'string' ? f === want : want.test(f));

const listFiles = (dir, prefix = '') => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory()
  ? listFiles(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`])).sort();

// The sources the folder is built from that are newer than it: the suite would test stale code.
function staleness() {
  const built = statSync(join(VERSION_DIR, 'index.html')).mtimeMs;
  const builtFrom = /^(main|worker|embed|blog-example)\.js$|^lab\/|^style\.css$|^blog-example\.(html|css)$|^pkg\/moment_lab(_bg\.wasm|\.js)$/;
  const sources = ['index.html', ...listFiles(join(ROOT, 'www')).filter((f) => builtFrom.test(f)).map((f) => `www/${f}`)];
  return sources.filter((f) => statSync(join(ROOT, f)).mtimeMs > built);
}

// The servers and origins, set by startServer.
let labServer = null;
let blogServer = null;
let thirdServer = null;
let LAB_ORIGIN = '';   // http://127.0.0.1:P
let BLOG = '';         // http://localhost:Q
let THIRD = '';        // http://127.0.0.2:R
// The query of a lab that <moment-lab> embeds in a page of the blog (parent= is on by default).
const embedQuery = () => `?embed=1&parent=${encodeURIComponent(BLOG)}`;

// The example post as it lives on the blog: the lab's files named by their absolute URLs on the lab's origin.
function blogPost(labBase) {
  let html = readFileSync(join(VERSION_DIR, 'blog-example.html'), 'utf8');
  const swap = (from, to, n) => {
    const found = html.split(from).length - 1;
    if (found !== n) throw new Error(`blog-example.html: ${JSON.stringify(from)} found ${found} times, expected ${n}`);
    html = html.replaceAll(from, to);
  };
  swap('<script src="embed.js" defer></script>', `<script src="${labBase}/embed.js" defer></script>`, 1);
  swap('"index.html', `"${labBase}/index.html`, 3);   // the iframe, the site's brand link, the fallback link
  swap("script-src 'self';", `script-src 'self' ${LAB_ORIGIN};`, 1);
  swap("frame-src 'self';", `frame-src ${LAB_ORIGIN};`, 1);
  // The LTH element runs the quick preset for 100 epochs on 3000 samples here: a sixth of the preset's work,
  // the same messages and sizes (and attributes other than the element's own become hash parameters).
  swap('id="lth-lab" experiment="lth" preset="quick" autorun', 'id="lth-lab" experiment="lth" preset="quick" epochs="100" n_train="3000" autorun', 1);
  return html;
}

const writePages = (dir, pages) => {
  mkdirSync(dir, { recursive: true });
  for (const [name, body] of Object.entries(pages)) writeFileSync(join(dir, name), body);
};

async function startServer() {
  if (!existsSync(join(VERSION_DIR, 'index.html'))) {
    throw new Error(`${VERSION_DIR}/index.html is missing: run bash scripts/build-web.sh --dist ${DIST}`);
  }
  const stale = staleness();
  if (stale.length) {
    throw new Error(`${DIST} is older than ${stale.slice(0, 3).join(', ')}: run bash scripts/build-web.sh --dist ${DIST}`);
  }
  const dirs = [];
  const temp = (name) => {
    const d = mkdtempSync(join(tmpdir(), `moment-lab-${name}-`));
    dirs.push(d);
    return d;
  };
  const labDir = temp('host');
  mkdirSync(join(labDir, 'sites'));
  symlinkSync(DIST, join(labDir, 'sites', 'lab'), 'dir');
  writePages(join(labDir, 'sites', '__embed_test__'), labPages());
  labServer = await serveDirectory(labDir, `/sites/lab/${SERIES}`);
  LAB_ORIGIN = new URL(labServer.base).origin;
  const thirdDir = temp('third');
  writePages(thirdDir, thirdPages());
  thirdServer = await serveDirectory(thirdDir, '', { bind: '127.0.0.2', probe: 'spoof.html' });
  THIRD = thirdServer.base;
  // The blog's port is only known once it serves; its pages name it (parent=) only at run time.
  const blogDir = temp('blog');
  writePages(join(blogDir, 'blog'), {
    'blog-example.html': blogPost(labServer.base),
    'blog-example.css': readFileSync(join(VERSION_DIR, 'blog-example.css')),
    'blog-example.js': readFileSync(join(VERSION_DIR, 'blog-example.js')),
  });
  writePages(join(blogDir, '__embed_test__'), blogPages(labServer.base));
  blogServer = await serveDirectory(blogDir, '', { host: 'localhost', probe: 'blog/blog-example.html' });
  BLOG = blogServer.base;
  return {
    base: labServer.base,
    stop: () => {
      for (const server of [labServer, thirdServer, blogServer]) server.stop();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
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
    kind, from, type: d.type, tab: d.tab, height: d.height, message: d.message, protocol: d.protocol,
    version: d.version, reason: d.reason,
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

// Test pages that are not in the folder, on the blog's origin (BLOG/__embed_test__/): they load the published
// embed.js from the lab's origin as a classic script, as a blogger's page does. Same strict policy as the blog
// example (no inline script or style), with the lab's origin (and the third one, for the spoofing case) allowed.
function blogPages(labBase) {
  const CSP = `default-src 'none'; script-src 'self' ${LAB_ORIGIN}; style-src 'self'; frame-src 'self' ${LAB_ORIGIN} ${THIRD}; img-src 'self' data:; base-uri 'none'`;
  const EMBED = `<script src="${labBase}/embed.js" defer></script>`;
  return {
    'element.html': `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}"><link rel="icon" href="data:,">
<title>moment-lab element test</title>${EMBED}</head><body>
<h1>element test</h1>
<moment-lab id="lab" experiment="cloud" seed="2" d="500" dim="2" k="2" target="30" autorun hide="seed,target" class="x" title="lab under test" data-note="not forwarded" aria-label="lab"></moment-lab>
</body></html>`,
    'stub-host.html': `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}"><link rel="icon" href="data:,">
<title>moment-lab protocol test</title>${EMBED}</head><body>
<moment-lab id="stub" src="stub.html" experiment="theory" loading="eager"></moment-lab>
</body></html>`,
    'tabs.html': `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}"><link rel="icon" href="data:,">
<title>moment-lab error and dataset test</title>${EMBED}</head><body>
<moment-lab id="bad" experiment="cloud" k="2" target="3" autorun loading="eager"></moment-lab>
<moment-lab id="data" experiment="dataset" preset="quick" autorun hide="all" loading="eager"></moment-lab>
</body></html>`,
    // A stand-in for the lab that speaks the protocol: ready, height 777, done or (with fail=1) error; with
    // proto=N its messages say protocol N (proto=none: no protocol field, as labs before 0.2).
    'stub.html': `<!doctype html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'self'">
<script src="stub.js"></script></head><body>stub</body></html>`,
    'stub.js': `const p = new URLSearchParams(location.hash.slice(1));
const tab = p.get('tab');
const proto = p.get('proto') === 'none' ? {} : { protocol: p.has('proto') ? Number(p.get('proto')) : 1, version: 'stub' };
const post = (m) => parent.postMessage(Object.assign({ source: 'moment-lab', tab }, proto, m), '*');
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
<title>moment-lab frame host</title>${EMBED}
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
<title>moment-lab src scheme test</title>${EMBED}</head><body>
<h1>src scheme test</h1></body></html>`,
  };
}

// On the lab's own origin (/sites/__embed_test__/): the published embed.js loaded as a module after all.
const labPages = () => ({
  'module.html': `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'self'; frame-src 'self'; img-src data:; base-uri 'none'">
<link rel="icon" href="data:,"><title>moment-lab as a module</title><script type="module" src="../lab/${SERIES}/embed.js"></script>
</head><body><moment-lab id="lab" experiment="theory" loading="eager"></moment-lab></body></html>`,
});

// On a third origin: a page that posts lab-like messages to its parent as soon as it loads.
const thirdPages = () => ({
  'spoof.html': `<!doctype html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'self'">
<script src="spoof.js"></script></head><body>spoof</body></html>`,
  'spoof.js': `for (const height of [5, 6]) {
  parent.postMessage({ source: 'moment-lab', protocol: 1, version: '${LAB_VERSION}', type: 'height', height }, '*');
}
parent.postMessage({ source: 'moment-lab', protocol: 1, version: '${LAB_VERSION}', type: 'done', tab: 'cloud', summary: { forged: true } }, '*');`,
});

// ------------------------------------------------------------------ cases

const cases = {
  // (a) the blog post on its own origin, the lab on another: both embedded experiments run to the end and
  // size their frames, every message says protocol 1 and the lab's version; nothing leaves the machine.
  async blog({ context, base }) {
    const { page, problems } = await openPage(context, `${BLOG}/blog/blog-example.html`, { viewport: { width: 1100, height: 900 } });
    assert(await page.evaluate(() => customElements.get('moment-lab') !== undefined), '<moment-lab> not defined');
    assert(BLOG !== LAB_ORIGIN, 'the blog and the lab share an origin: the test is broken');

    const cloudSrc = await page.getAttribute('#cloud-frame', 'src');
    assert(cloudSrc.startsWith(`${base}/index.html?embed=1#v=1&tab=cloud&`), `plain iframe src ${cloudSrc}`);
    const lth = await page.evaluate(() => {
      const f = document.getElementById('lth-lab').iframe;
      return f && { src: f.src, title: f.title, loading: f.getAttribute('loading') };
    });
    assert(lth, '<moment-lab> created no iframe');
    assert(lth.src.startsWith(`${base}/index.html${embedQuery()}#`), `<moment-lab> iframe src ${lth.src} is not ${base}/index.html${embedQuery()}#…`);
    const lp = hashParams(lth.src);
    assert(lp.v === '1' && lp.tab === 'lth' && lp.preset === 'quick' && lp.autorun === '1' && !('title' in lp)
      && lp.epochs === '100' && lp.n_train === '3000',
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
    const unversioned = entries.filter((e) => e.protocol !== PROTOCOL || e.version !== LAB_VERSION);
    assert(unversioned.length === 0, `messages without protocol ${PROTOCOL} and version ${LAB_VERSION}: ${JSON.stringify(unversioned.slice(0, 3))}`);
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
    const labFrames = page.frames().filter((f) => f !== page.mainFrame() && f.url().includes('index.html'));
    assert(labFrames.length === 2 && labFrames.every((f) => new URL(f.url()).origin === LAB_ORIGIN), `lab frames ${labFrames.map((f) => f.url())}`);
    for (const f of labFrames) {
      const b = await f.evaluate(() => ({ embed: document.body.dataset.embed, done: document.body.dataset.done,
        overflow: document.documentElement.scrollHeight - window.innerHeight }));
      assert(b.embed === '1' && b.done === '1', `frame ${f.url()}: body data-embed=${b.embed} data-done=${b.done}`);
      // The reported height is the whole content: the frame has nothing to scroll.
      assert(b.overflow <= 1, `frame ${f.url()}: content is ${b.overflow} px taller than the frame`);
    }

    // The whole post: a full-page capture leaves frames of another origin (other renderer processes) blank,
    // so the viewport is made as tall as the post and the frames paint before the capture.
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.setViewportSize({ width: 1100, height: await page.evaluate(() => document.documentElement.scrollHeight) });
    for (const f of labFrames) await f.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    await page.screenshot({ path: join(SHOTS, 'blog.png') });
    publishShot('blog');
    noProblems(problems, 'blog example');
    assert(offsite.length === 0, `requests left the machine: ${offsite.join(', ')}`);

    // Phone width: the post does not scroll sideways.
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert(overflow <= 0, `phone width: the post is ${overflow}px wider than the screen`);
  },

  // (b) the element on a page of another origin; the iframe URL is built from the attributes relative to
  // embed.js, with the page's origin as parent=, and changing attributes rebuilds the iframe.
  async element({ context, base }) {
    const { page, problems } = await openPage(context, `${BLOG}/__embed_test__/element.html`);
    await page.waitForFunction(() => document.getElementById('lab').iframe, null, { timeout: 10_000 });
    const first = await page.evaluate(() => {
      const el = document.getElementById('lab');
      return { src: el.iframe.src, frameSrc: el.frameSrc, display: getComputedStyle(el).display,
        width: el.iframe.getBoundingClientRect().width, body: document.body.getBoundingClientRect().width };
    });
    const u = new URL(first.src);
    assert(`${u.origin}${u.pathname}` === `${base}/index.html` && u.search === embedQuery(),
      `iframe src ${first.src}: want ${base}/index.html${embedQuery()}#…`);
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

  // (c) messages from any window but the element's own iframe are ignored: the host page itself, a sibling
  // frame of its origin, a frame of a third origin, the lab's frame without source 'moment-lab'.
  async spoofing({ context, base }) {
    const { page, problems } = await openPage(context, `${BLOG}/__embed_test__/element.html`);
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
    // 3. from a frame of a third origin (it posts heights 5 and 6 and a forged 'done' as soon as it loads)
    await page.evaluate((src) => new Promise((r) => {
      const f = document.createElement('iframe');
      f.id = 'third';
      f.onload = r;
      f.src = src;
      document.body.append(f);
    }), `${THIRD}/spoof.html`);
    await page.waitForFunction(() => window.__labLog.some((e) => e.from === 'third' && e.type === 'done'), null, { timeout: 10_000 });
    // 4. from the lab's own frame but without source 'moment-lab'
    const labFrame = page.frames().find((f) => f.url().startsWith(`${base}/index.html`));
    await labFrame.evaluate(() => parent.postMessage({ source: 'not-the-lab', type: 'height', height: 5 }, '*'));
    await page.waitForTimeout(500);
    const entries = await log(page);
    const fakes = entries.filter((e) => e.kind === 'message' && e.t >= t0 && (e.height === 5 || e.height === 6));
    assert(fakes.length >= 4 && fakes.some((e) => e.from === 'third'), `the fake messages were not delivered (${fakes.length} seen): the test is broken`);
    const leaked = entries.filter((e) => e.kind === 'event' && e.t >= t0);
    assert(leaked.length === 0, `fake messages re-dispatched: ${JSON.stringify(leaked)}`);
    const after = (await frameHeight(page, 'lab')).style;
    assert(after === before, `frame height changed from ${before} to ${after} on fake messages`);
    // Positive control: the same message from the lab's own frame is accepted.
    await labFrame.evaluate(() => parent.postMessage({ source: 'moment-lab', protocol: 1, type: 'height', height: 321 }, '*'));
    await page.waitForFunction(() => document.getElementById('lab').iframe.style.height === '321px', null, { timeout: 5000 });
    noProblems(problems, 'spoofing');
  },

  // The real lab through the element: a bad parameter gives moment-lab-error (and no 'done'); another
  // experiment (dataset, everything hidden) runs to the end.
  async lab_events({ context, base }) {
    const { page, problems } = await openPage(context, `${BLOG}/__embed_test__/tabs.html`);
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
    const { page, problems } = await openPage(context, `${BLOG}/__embed_test__/element.html`);
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

  // The element against a stub lab page (src= override): events, detail, height, junk filtering, errors; a lab
  // that speaks protocol 2 gives one clear error event and is otherwise ignored; one without a protocol field
  // (a lab before 0.2) is read as protocol 1.
  async protocol({ context, base }) {
    const { page, problems } = await openPage(context, `${BLOG}/__embed_test__/stub-host.html`);
    await waitFor(page, { kind: 'event', from: 'stub', type: 'done', timeout: 20_000 });
    const r = await page.evaluate(() => {
      const el = document.getElementById('stub');
      return { src: el.iframe.src, height: el.iframe.style.height, ready: el.ready, last: el.lastMessage,
        loading: el.iframe.getAttribute('loading') };
    });
    assert(r.src.startsWith(`${BLOG}/__embed_test__/stub.html${embedQuery()}#v=1&tab=theory`), `stub src ${r.src}`);
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
    // A lab of protocol 2: its ready, heights and done are not acted on; one error event says why.
    const t2 = await now(page);
    await page.evaluate(() => document.getElementById('stub').setAttribute('proto', '2'));
    await page.waitForFunction((t2) => window.__labLog.filter((e) => e.kind === 'message' && e.from === 'stub' && e.t >= t2).length >= 4,
      t2, { timeout: 20_000 });
    await page.waitForTimeout(200);
    const v2 = await page.evaluate((t2) => ({
      events: window.__labLog.filter((e) => e.kind === 'event' && e.t >= t2),
      height: document.getElementById('stub').iframe.style.height,
      ready: document.getElementById('stub').ready,
      last: document.getElementById('stub').lastMessage,
    }), t2);
    assert(v2.events.length === 1 && v2.events[0].type === 'error' && v2.events[0].reason === 'protocol' && v2.events[0].protocol === 2
      && /speaks protocol 2, but this embed\.js \(Moment Lab [\d.]+\) speaks protocol 1/.test(v2.events[0].message),
    `a protocol-2 lab gave the events ${JSON.stringify(v2.events)}`);
    assert(v2.height === '360px' && v2.ready === false && v2.last.reason === 'protocol',
      `a protocol-2 lab's messages were acted on: height ${v2.height}, ready ${v2.ready}, last ${JSON.stringify(v2.last)}`);
    // A lab before 0.2 (no protocol field): read as protocol 1.
    const t3 = await now(page);
    await page.evaluate(() => document.getElementById('stub').setAttribute('proto', 'none'));
    await waitFor(page, { kind: 'event', from: 'stub', type: 'done', timeout: 20_000, after: t3 });
    assert(await page.evaluate(() => document.getElementById('stub').iframe.style.height) === '777px', 'a lab without protocol field was not resized');
    noProblems(problems, 'protocol');
  },

  // Framed without ?embed=1 the lab is a page like any other: it posts nothing to its parent.
  async post_only_in_embed_mode({ context, base }) {
    const hash = '#v=1&tab=cloud&d=300&target=20&autorun=1';
    const spec = [{ id: 'plain', src: `${base}/index.html${hash}` }, { id: 'embedded', src: `${base}/index.html?embed=1${hash}` }];
    const { page, problems } = await openPage(context, `${BLOG}/__embed_test__/frame-host.html#${encodeURIComponent(JSON.stringify(spec))}`);
    await page.waitForFunction(() => window.__raw.some((m) => m.from === 'embedded' && JSON.parse(m.data).type === 'done'), null, { timeout: DONE_TIMEOUT });
    const plain = page.frames().find((f) => f.url().startsWith(`${base}/index.html#`));
    await plain.waitForFunction(() => document.body.dataset.done === '1', null, { timeout: DONE_TIMEOUT });
    const raw = await page.evaluate(() => window.__raw);
    const leaked = raw.filter((m) => m.from === 'plain');
    assert(leaked.length === 0, `the lab framed without ?embed=1 posted ${leaked.length} messages: ${leaked.map((m) => m.data.slice(0, 80)).join('; ')}`);
    noProblems(problems, 'post only in embed mode');
  },

  // ?parent=<origin> makes the lab post only to that origin; an invalid one turns the messages off (with a
  // console warning); <moment-lab> passes the page's own origin unless parent-origin="off".
  async parent_origin({ context, base }) {
    const origin = BLOG;
    const hash = '#v=1&tab=cloud&d=300&target=20&autorun=1';
    const lab = (q) => `${base}/index.html?embed=1&parent=${encodeURIComponent(q)}${hash}`;
    const spec = [
      { id: 'elsewhere', src: lab('http://elsewhere.example') },
      { id: 'bad', src: lab('javascript:alert(1)') },
      { id: 'mine', src: lab(origin) },
      { id: 'element', attrs: { experiment: 'cloud', d: '300', target: '20', autorun: '', loading: 'eager' } },
      { id: 'element-off', attrs: { experiment: 'cloud', d: '300', target: '20', autorun: '', 'parent-origin': 'off', loading: 'eager' } },
    ];
    const page = await context.newPage();
    const warnings = [];
    const problems = [];
    page.on('console', (m) => {
      if (m.type() === 'warning') warnings.push(m.text());
      if (m.type() === 'error') problems.push(m.text());
    });
    await page.goto(`${BLOG}/__embed_test__/frame-host.html#${encodeURIComponent(JSON.stringify(spec))}`);
    const done = (id) => page.waitForFunction((id) => window.__raw.some((m) => m.from === id && JSON.parse(m.data).type === 'done'), id, { timeout: DONE_TIMEOUT });
    await done('mine');
    await done('element');
    await done('element-off');
    for (const id of ['elsewhere', 'bad']) {
      const f = page.frames().find((fr) => fr.url().includes(encodeURIComponent(id === 'bad' ? 'javascript:alert(1)' : 'http://elsewhere.example')));
      await f.waitForFunction(() => document.body.dataset.done === '1', null, { timeout: DONE_TIMEOUT });
    }
    const raw = await page.evaluate(() => window.__raw);
    for (const id of ['elsewhere', 'bad']) {
      const got = raw.filter((m) => m.from === id);
      assert(got.length === 0, `${id}: ${got.length} messages reached a page of another origin: ${got.map((m) => m.data.slice(0, 60)).join('; ')}`);
    }
    assert(raw.filter((m) => m.from === 'mine').every((m) => m.origin === LAB_ORIGIN), 'messages from the lab\'s origin');
    const [src, srcOff] = await page.evaluate(() => ['element', 'element-off'].map((id) => document.getElementById(id).iframe.src));
    assert(new URL(src).searchParams.get('parent') === origin, `<moment-lab>: src ${src} has no parent=${origin}`);
    assert(new URL(srcOff).search === '?embed=1', `<moment-lab parent-origin="off">: src ${srcOff}`);
    assert(warnings.some((w) => /not an http\(s\) origin/.test(w)), `no console warning about parent=javascript:…: ${JSON.stringify(warnings)}`);
    noProblems(problems, 'parent origin');
  },

  // After a reader runs their own CSV in an embedded lab, the parent learns that a run on their data
  // finished or failed — nothing else: no summary, no error text (it quotes cells), no heights.
  async csv_posts_nothing({ context, base }) {
    const spec = [{ id: 'lab', src: `${base}/index.html?embed=1#v=1&tab=cloud&target=20` }];
    const { page, problems } = await openPage(context, `${BLOG}/__embed_test__/frame-host.html#${encodeURIComponent(JSON.stringify(spec))}`);
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
    const only = (type) => JSON.stringify({ source: 'moment-lab', protocol: PROTOCOL, version: LAB_VERSION, type, tab: 'cloud', userData: true });
    assert(got.length === 1 && JSON.stringify(got[0]) === only('done'),
      `after a run on the reader's file the parent got ${JSON.stringify(got).slice(0, 300)}`);
    // A refused file: its error quotes a cell.
    messages = await since();
    await frame.setInputFiles('#tab-cloud [data-role="csv"]', { name: 'patients-2027.csv', mimeType: 'text/csv', buffer: Buffer.from('secret_x,secret_y\n1,2\n3,SECRET-CELL-42\n') });
    await frame.waitForSelector('#tab-cloud [data-role="error"]:not([hidden])', { timeout: DONE_TIMEOUT });
    await page.waitForFunction(() => window.__raw.some((m) => m.from === 'lab' && JSON.parse(m.data).type === 'error'), null, { timeout: DONE_TIMEOUT });
    await frame.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    got = await messages();
    assert(got.length === 1 && JSON.stringify(got[0]) === only('error'),
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
    await page.goto(`${BLOG}/__embed_test__/scheme.html`);
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
    bad.forEach((src, i) => assert(srcs[i].startsWith(`${base}/index.html${embedQuery()}#v=1&tab=theory`),
      `src=${JSON.stringify(src)} gave the iframe ${srcs[i]}`));
    assert(srcs.at(-1).startsWith(`${BLOG}/__embed_test__/stub.html${embedQuery()}#`), `src="stub.html": ${srcs.at(-1)}`);
    const refused = warnings.filter((w) => /<moment-lab>: src .* is not an http\(s\) URL/.test(w));
    assert(refused.length === bad.length, `${refused.length} warnings for ${bad.length} refused srcs: ${JSON.stringify(warnings)}`);
    await page.waitForFunction((n) => document.querySelectorAll('moment-lab').length === n
      && [...document.querySelectorAll('moment-lab')].every((el) => el.ready), bad.length + 1, { timeout: READY_TIMEOUT });
    assert(await page.evaluate(() => window.__pwned) === undefined, 'a javascript: src ran in the host page');
    noProblems(problems, 'src scheme');
  },

  // The teacher's zip: it holds the version folder and nothing else; unpacked, its single.html works in a frame
  // from disk (file://), in embed mode, as EMBED.md describes.
  async single_file({ context }) {
    const zip = join(DIST, `moment-lab-${SERIES}.zip`);
    assert(existsSync(zip), `${zip} missing (run bash scripts/build-web.sh --dist ${DIST})`);
    const dir = mkdtempSync(join(tmpdir(), 'moment-lab-file-'));
    try {
      const unzip = spawnSync('python3', ['-m', 'zipfile', '-e', zip, dir], { encoding: 'utf8' });
      assert(unzip.status === 0, `unzip: ${unzip.stderr}`);
      const top = join(dir, `moment-lab-${SERIES}`);
      assert(existsSync(top) && JSON.stringify(listFiles(top)) === JSON.stringify(listFiles(VERSION_DIR)),
        `the zip holds ${listFiles(dir).join(', ')}, not the files of ${SERIES}/`);
      const file = join(top, 'single.html');
      const host = join(dir, 'post.html');
      const src = `${pathToFileURL(file).href}?embed=1#v=1&tab=cloud&seed=1&d=1000&dim=2&k=2&target=40&autorun=1`;
      writeFileSync(host, `<!doctype html><meta charset="utf-8"><title>file host</title>
<iframe id="single" src="${src}" title="Moment Lab" style="width:100%;border:0"></iframe>`);
      const { page, problems } = await openPage(context, pathToFileURL(host).href);
      const done = await waitFor(page, { from: 'single', type: 'done' });
      assert(done.tab === 'cloud' && done.summary, `single.html done: ${JSON.stringify(done)}`);
      assert(done.protocol === PROTOCOL && done.version === LAB_VERSION, `single.html done: protocol ${done.protocol}, version ${done.version}`);
      const heights = (await log(page)).filter((e) => e.from === 'single' && e.type === 'height');
      assert(heights.length > 0 && heights.at(-1).height > 100, `single.html heights ${JSON.stringify(heights.map((h) => h.height))}`);
      noProblems(problems, 'single.html framed from file://');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },

  // The published folder holds exactly DIST_FILES (no source, test, fixture, source map or package), none of
  // its pages or scripts names a source map or a file of the source tree, and next to the version folders there
  // are only the redirect, _headers and the zips.
  async dist_files() {
    const files = listFiles(VERSION_DIR);
    const unmatched = DIST_FILES.filter((want) => files.filter((f) => matches(want, f)).length !== 1);
    assert(unmatched.length === 0, `${SERIES}/ lacks (or has several of) ${unmatched.join(', ')}; it holds ${files.join(', ')}`);
    const extra = files.filter((f) => !DIST_FILES.some((want) => matches(want, f)));
    assert(extra.length === 0, `${SERIES}/ holds files that are not in the list: ${extra.join(', ')}`);
    for (const f of files.filter((f) => /\.(js|css|html)$/.test(f))) {
      const text = readFileSync(join(VERSION_DIR, f), 'utf8');
      assert(!/sourceMappingURL/.test(text), `${f} names a source map`);
      assert(!/(?:src|href)="(?:\.\.\/)*(?:www|src|tests|node_modules)\//.test(text), `${f} links a file of the source tree`);
    }
    const strays = readdirSync(DIST).filter((f) => !TOP_FILES.some((want) => matches(want, f)));
    assert(strays.length === 0, `${DIST} holds ${strays.join(', ')} next to the version folders`);
    const headers = readFileSync(join(DIST, '_headers'), 'utf8');
    assert(headers.includes(`/${SERIES}/assets/*\n  Cache-Control: public, max-age=31536000, immutable`)
      && headers.includes(`/${SERIES}/embed.js\n  Cache-Control: no-cache`), `_headers:\n${headers}`);
  },

  // The folder's own page under the host's sub-path: the top index leads to the newest version, and every tab
  // runs; every file the page requests is in the folder, and the server answered each request with success.
  async dist_tabs({ context, base }) {
    const before = labServer.requests().length;
    const { page: first, problems: firstProblems } = await openPage(context, `${LAB_ORIGIN}/sites/lab/`);
    await first.waitForURL(`${base}/`, { timeout: 10_000 });
    await first.waitForFunction(() => document.body.dataset.ready === '1'
      || document.querySelector('[data-role="error"]:not([hidden])'), null, { timeout: READY_TIMEOUT });
    noProblems(firstProblems, 'the top index');
    // Small runs: what is checked is that each tab's code and the wasm load from the folder and run.
    const runs = {
      cloud: 'd=300&target=20',
      lth: 'width=600&target=150&n_train=1000&epochs=3',
      attention: 'heads=600&target=180&epochs=2&batch_size=64',
      dataset: 'preset=quick&d=1000&target=200&epochs=3',
      scaling: 'axis=data&sizes=256,512&seeds=1&epochs=20',
      theory: 'trials=1',
    };
    // One page, each run from a link pasted into it (hashchange with autorun=1).
    const { page, problems } = await openPage(context, `${base}/index.html`);
    await page.waitForFunction(() => document.body.dataset.ready === '1', null, { timeout: READY_TIMEOUT });
    for (const [tab, params] of Object.entries(runs)) {
      await page.evaluate((hash) => {
        delete document.body.dataset.done;
        location.hash = hash;
      }, `#v=1&tab=${tab}&${params}&autorun=1`);
      await page.waitForFunction((tab) => document.body.dataset.done === '1'
        || !document.querySelector(`#tab-${tab} [data-role="error"]`).hidden, tab, { timeout: DONE_TIMEOUT });
      const error = await page.evaluate((tab) => {
        const e = document.querySelector(`#tab-${tab} [data-role="error"]`);
        return e.hidden ? null : e.textContent;
      }, tab);
      assert(error === null, `${tab}: ${error}`);
      assert(await page.isVisible(`#tab-${tab}`), `${tab}: the link did not open its tab`);
    }
    noProblems(problems, 'every tab from the folder');
    const requested = labServer.requests().slice(before);
    const failed = requested.filter((r) => r.status >= 400);
    assert(failed.length === 0, `the lab's server answered ${failed.map((r) => `${r.status} ${r.path}`).join(', ')}`);
    const prefix = `/sites/lab/${SERIES}/`;
    const files = new Set(listFiles(VERSION_DIR));
    const fileOf = (r) => decodeURIComponent(r.path.split(/[?#]/)[0]).slice(prefix.length) || 'index.html';
    const outside = requested.filter((r) => r.path !== '/sites/lab/' && (!r.path.startsWith(prefix) || !files.has(fileOf(r))));
    assert(outside.length === 0, `requests for files outside ${SERIES}/: ${outside.map((r) => r.path).join(', ')}`);
    const names = requested.map(fileOf);
    for (const want of DIST_FILES.filter((w) => w instanceof RegExp)) {
      assert(names.some((n) => want.test(n)), `no request for ${want} (the request log is broken?): ${[...new Set(names)].join(', ')}`);
    }
  },

  // The published embed.js loaded with type="module" after all (on the lab's own origin: across origins a
  // module script needs CORS headers): it still finds the lab next to itself.
  async module_script({ context, base }) {
    const { page, problems } = await openPage(context, `${LAB_ORIGIN}/sites/__embed_test__/module.html`);
    await waitFor(page, { kind: 'event', from: 'lab', type: 'ready', timeout: READY_TIMEOUT });
    const src = await page.evaluate(() => document.getElementById('lab').iframe.src);
    const want = `${base}/index.html?embed=1&parent=${encodeURIComponent(LAB_ORIGIN)}#v=1&tab=theory`;
    assert(src === want, `iframe src ${src}, want ${want}`);
    noProblems(problems, 'embed.js as a module');
  },

  // No server answered any request of the whole suite with an error (a 404 is a file the pages need that the
  // folder lacks).
  async no_http_errors() {
    for (const [name, server] of [['lab', labServer], ['blog', blogServer], ['third', thirdServer]]) {
      const all = server.requests();
      assert(all.length > 0, `the ${name} server's log is empty (the log reader is broken)`);
      const failed = all.filter((r) => r.status >= 400);
      assert(failed.length === 0, `the ${name} server answered ${failed.map((r) => `${r.status} ${r.path}`).join(', ')}`);
    }
  },

  offline: offlineCase(offsite),
};

// ------------------------------------------------------------------ main

runSuite('e2e-embed', cases, {
  startServer,
  offsite,
  prepare: async (context) => {
    await context.addInitScript(recorder);
  },
  anchor: '/index.html',
});
