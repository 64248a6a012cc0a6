// The page's budgets (issues 4, 5, 6, 14): how fast the lab is in headless Chromium, each figure printed next
// to its budget. The e2e suites check what the page does; this measures how fast it does it, so a slow or
// busy machine makes a figure go over budget here instead of failing the tests.
//
//   npm run budgets [-- --demo] [--only page,lth,dataset,cloud,demo] [--reps N] [--root DIR] [--out FILE] [--strict]
//
//   page     first contentful paint and the bytes of one page load (gzip -9 of every file it requested)
//   lth      the LTH quick preset: wall time, frames/s and main-thread long tasks during the run, its results
//   dataset  the dataset quick preset, then its 41×41 loss landscapes of three data sets (the page's own timing)
//   cloud    a 10⁶-point compression: the longest gap between two frames and the long tasks while it computes
//   demo     (opt-in, --demo or --only demo; about 2 minutes) the dataset and LTH demo presets to the end
//   attention (opt-in, --only attention; 2-3 minutes) Fig. 7's paper preset in the page: time, set-up, residual
//
// Every case opens its own headless Chromium (Debian's, as the e2e suites do: e2e/lib.mjs) on a fresh page;
// --reps N (default 3; the demos run once) repeats page, lth, dataset and cloud, and the figure is the median
// (the worst for long tasks and frame gaps), every run kept in the JSON. --root DIR serves another checkout
// (with a built www/pkg), e.g. to compare a variant of the page. Builds nothing: needs www/pkg
// (bash scripts/build-web.sh) and node_modules (npm ci).
//
// Writes bench/budgets-<date>.json (or --out) with every run, the machine's load average next to each case
// and the Chromium version. Exit status 0 even when a figure is over its budget (it reports, it does not
// judge; --strict makes that 1); 1 when a measurement could not be made (the page failed, an error showed).

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ROOT, arg, openOfflineContext, openWatchedPage, serveDirectory } from '../e2e/lib.mjs';

const argv = process.argv.slice(2);
const SERVED = resolve(arg('--root') || ROOT);
const REPS = Number(arg('--reps') || 3);
const STRICT = argv.includes('--strict');
const ONLY = (arg('--only') || `page,lth,dataset,cloud${argv.includes('--demo') ? ',demo' : ''}`).split(',');
const TIMEOUT = 120_000;

for (const [path, fix] of [[join(SERVED, 'www/pkg/moment_lab_bg.wasm'), 'bash scripts/build-web.sh'],
  [join(ROOT, 'node_modules/playwright-core'), 'npm ci']]) {
  if (!existsSync(path)) {
    console.error(`budgets: ${path} is missing: run \`${fix}\` first`);
    process.exit(2);
  }
}
const { chromium } = await import('playwright-core');

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').trim().split(' ').slice(0, 3).map(Number);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const n = s.length; return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };
const round = (x, digits = 3) => (Number.isFinite(x) ? Number(x.toPrecision(digits)) : x);

// One fresh headless Chromium with the e2e suites' offline context (non-local requests aborted), one page at
// `url`; `fn({page, requests})` measures (`requests`: every URL the page requested); the browser is closed afterwards. Problems on the page
// (console errors, failed requests) make the measurement fail.
async function withPage(url, fn, viewport = { width: 1200, height: 900 }) {
  const requests = [];
  const offsite = [];
  const { browser, context } = await openOfflineContext(chromium, { requests, offsite, viewport });
  try {
    const { page, problems } = await openWatchedPage(context, url);
    const out = await fn({ page, requests });
    if (problems.length) throw new Error(problems.join('; '));
    if (offsite.length) throw new Error(`requests left 127.0.0.1: ${offsite.join(', ')}`);
    return out;
  } finally {
    await browser.close();
  }
}

const ready = (page) => page.waitForSelector('body[data-ready="1"]', { timeout: TIMEOUT });

// Waits for the tab's run to end; throws on the tab's error box. Returns the run's summary.
async function runToEnd(page, tab, timeout = TIMEOUT) {
  const errorSel = `#tab-${tab} [data-role="error"]`;
  await page.waitForFunction((sel) => document.body.dataset.done === '1' || !document.querySelector(sel).hidden, errorSel, { timeout });
  const r = await page.evaluate((sel) => ({ error: document.querySelector(sel).hidden ? null : document.querySelector(sel).textContent, last: window.lastResult }), errorSel);
  if (r.error !== null) throw new Error(`${tab}: ${r.error}`);
  return r.last;
}

// From now on: main-thread long tasks (> 50 ms, the Long Tasks API: duration and start, ms after the probe
// started), animation frames and the longest gap between two of them, and the long animation frames with
// what ran in them (Long Animation Frames API: script entry points by file and function, and the time spent
// rendering), which tells which of the page's code a long task was.
function startProbe(page) {
  return page.evaluate(() => {
    const p = { longtasks: [], at: [], frames: 0, maxGap: 0, t0: performance.now() };
    window.__probe = p;
    new PerformanceObserver((l) => {
      for (const e of l.getEntries()) {
        p.longtasks.push(e.duration);
        p.at.push(e.startTime - p.t0);
      }
    }).observe({ type: 'longtask', buffered: false });
    p.frames_long = [];
    new PerformanceObserver((l) => {
      for (const e of l.getEntries()) {
        p.frames_long.push({
          at: Math.round(e.startTime - p.t0), ms: Math.round(e.duration), render_ms: Math.round(e.startTime + e.duration - e.renderStart),
          scripts: e.scripts.map((s) => `${s.invokerType} ${s.sourceFunctionName || s.invoker}@${s.sourceURL.split('/').pop()} ${Math.round(s.duration)} ms`),
        });
      }
    }).observe({ type: 'long-animation-frame', buffered: false });
    let last = p.t0;
    const tick = (t) => {
      p.frames++;
      p.maxGap = Math.max(p.maxGap, t - last);
      last = t;
      if (!p.stop) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
}

function readProbe(page) {
  return page.evaluate(() => {
    const p = window.__probe;
    p.stop = true;
    const seconds = (performance.now() - p.t0) / 1000;
    return { seconds, fps: p.frames / seconds, longtasks: p.longtasks.map(Math.round), longtasks_at: p.at.map(Math.round), longest: Math.round(Math.max(0, ...p.longtasks)), max_frame_gap: Math.round(p.maxGap), long_frames: p.frames_long };
  });
}

// ------------------------------------------------------------------ cases
// Each returns {runs: [...], figures: [{id, label, value, unit, max?, min?}]}.

const cases = {
  async page(base) {
    const runs = [];
    for (let i = 0; i < REPS; i++) {
      runs.push(await withPage(`${base}/`, async ({ page, requests }) => {
        await ready(page);
        const urls = new Set(requests);
        const fcp = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime);
        let gz = 0;
        for (const u of urls) {
          const path = new URL(u).pathname;
          const file = join(SERVED, decodeURIComponent(path === '/' ? '/index.html' : path));
          if (existsSync(file)) gz += gzipSync(readFileSync(file), { level: 9 }).length;
        }
        return { fcp_ms: Math.round(fcp), requests: urls.size, transfer_gzip_bytes: gz };
      }));
    }
    return {
      runs,
      figures: [
        { id: 'first_contentful_paint', label: 'page: first contentful paint, localhost', value: median(runs.map((r) => r.fcp_ms)), unit: 'ms', max: 1000 },
        { id: 'transfer', label: `page: one load, gzip -9 of its ${runs[0].requests} requests`, value: round(Math.max(...runs.map((r) => r.transfer_gzip_bytes)) / 1024), unit: 'KB', max: 400 },
      ],
    };
  },

  async lth(base) {
    const runs = [];
    for (let i = 0; i < REPS; i++) {
      runs.push(await withPage(`${base}/#v=1&tab=lth`, async ({ page }) => {
        await ready(page);
        await startProbe(page);
        await page.click('#tab-lth [data-action="run"]');
        const s = await runToEnd(page, 'lth');
        const probe = await readProbe(page);
        return { ...probe, final_ratio_compressed: s.final_ratio_compressed, final_ratio_naive: s.final_ratio_naive, initial_ratio_compressed: s.initial_ratio_compressed };
      }));
    }
    const last = runs.at(-1);
    return {
      runs,
      figures: [
        { id: 'lth_quick_longest_task', label: `LTH quick: longest main-thread task (${runs.map((r) => r.longtasks.length).join(', ')} long tasks)`, value: Math.max(...runs.map((r) => r.longest)), unit: 'ms', max: 50 },
        { id: 'lth_quick_fps', label: 'LTH quick: frames/s during the run', value: round(median(runs.map((r) => r.fps))), unit: 'fps', min: 20 },
        { id: 'lth_quick_seconds', label: 'LTH quick: run, click to done', value: round(median(runs.map((r) => r.seconds))), unit: 's', max: 20 },
        { id: 'lth_quick_ratios', label: 'LTH quick: final loss, compressed / naive ÷ original', value: `${last.final_ratio_compressed.toFixed(3)}× / ${last.final_ratio_naive.toFixed(3)}×` },
      ],
    };
  },

  async dataset(base) {
    const runs = [];
    for (let i = 0; i < REPS; i++) {
      runs.push(await withPage(`${base}/#v=1&tab=dataset`, async ({ page }) => {
        await ready(page);
        const t0 = await page.evaluate(() => performance.now());
        await page.click('#tab-dataset [data-action="run"]');
        const s = await runToEnd(page, 'dataset');
        const run = (await page.evaluate(() => performance.now()) - t0) / 1000;
        // The landscapes start by themselves after the run; the page times them (ls-status: "… in X s").
        await page.waitForFunction(() => document.querySelector('#tab-dataset .landscape').dataset.deviation, null, { timeout: TIMEOUT });
        const status = await page.textContent('#tab-dataset [data-role="ls-status"]');
        const landscape = Number(/in ([\d.]+) s/.exec(status)?.[1]);
        if (!Number.isFinite(landscape)) throw new Error(`dataset: landscape status says ${JSON.stringify(status)}`);
        return { run_seconds: run, landscape_seconds: landscape, final_ratio_compressed: s.final_ratio_compressed, final_ratio_naive: s.final_ratio_naive };
      }));
    }
    return {
      runs,
      figures: [
        { id: 'dataset_landscape_seconds', label: 'dataset quick: loss landscapes 41×41 × 3 sets', value: round(median(runs.map((r) => r.landscape_seconds))), unit: 's', max: 5 },
        { id: 'dataset_quick_seconds', label: 'dataset quick: run, click to done', value: round(median(runs.map((r) => r.run_seconds))), unit: 's' },
      ],
    };
  },

  // The worker computes, the page keeps drawing: frames during a compression of 10⁶ points (about 4 s).
  async cloud(base) {
    const runs = [];
    for (let i = 0; i < REPS; i++) {
      runs.push(await withPage(`${base}/`, async ({ page }) => {
        await ready(page);
        for (const [name, v] of Object.entries({ d: 1000000, k: 3, target: 200 })) await page.fill(`#tab-cloud [name="${name}"]`, String(v));
        await startProbe(page);
        await page.click('#tab-cloud [data-action="run"]');
        const s = await runToEnd(page, 'cloud');
        return { ...(await readProbe(page)), kept: s.kept };
      }));
    }
    return {
      runs,
      figures: [
        { id: 'cloud_1e6_max_frame_gap', label: `cloud 10⁶ → 200 points: longest gap between two frames (${runs.map((r) => r.longtasks.length).join(', ')} long tasks)`, value: Math.max(...runs.map((r) => r.max_frame_gap)), unit: 'ms', max: 1000 },
        { id: 'cloud_1e6_seconds', label: 'cloud 10⁶ → 200 points: run, click to done', value: round(median(runs.map((r) => r.seconds))), unit: 's' },
      ],
    };
  },

  // The larger presets at the authors' laptop scale: the numbers they reach are the CLI's (same seed).
  async demo(base) {
    const runs = [];
    for (const [tab, budget] of [['dataset', 60], ['lth', 180]]) {
      runs.push(await withPage(`${base}/#v=1&tab=${tab}&preset=demo`, async ({ page }) => {
        await ready(page);
        await startProbe(page);
        await page.click(`#tab-${tab} [data-action="run"]`);
        const s = await runToEnd(page, tab, 600_000);
        const probe = await readProbe(page);
        return { tab, budget, ...probe, final_ratio_compressed: s.final_ratio_compressed, final_ratio_naive: s.final_ratio_naive, initial_ratio_compressed: s.initial_ratio_compressed ?? null };
      }));
    }
    const figures = [];
    for (const r of runs) {
      figures.push({ id: `${r.tab}_demo_seconds`, label: `${r.tab} demo preset: run, click to done (${round(r.fps)} fps, ${r.longtasks.length} long tasks, longest ${r.longest} ms)`, value: round(r.seconds), unit: 's', max: r.budget });
      figures.push({ id: `${r.tab}_demo_ratios`, label: `${r.tab} demo preset: final loss, compressed / naive ÷ ${r.tab === 'lth' ? 'original' : 'full'}`,
        value: `${r.final_ratio_compressed.toFixed(3)}× / ${r.final_ratio_naive.toFixed(3)}×` + (r.initial_ratio_compressed ? ` (compressed starts ${((r.initial_ratio_compressed - 1) * 100).toFixed(2)} % off)` : '') });
    }
    return { runs, figures };
  },

  // (opt-in, --only attention; about 2-3 minutes) Fig. 7 at the paper's scale in the page: 4000 → 800 heads
  // (the compressor at m = 8, k = 3), 50 epochs of three layers; the numbers it reaches are the CLI's.
  async attention(base) {
    const run = await withPage(`${base}/#v=1&tab=attention&preset=paper`, async ({ page }) => {
      await ready(page);
      await startProbe(page);
      await page.click('#tab-attention [data-action="run"]');
      const s = await runToEnd(page, 'attention', 900_000);
      const probe = await readProbe(page);
      const setup = await page.textContent('#tab-attention [data-role="facts"]');
      return { ...probe, summary: s, setup: /set-up incl\. compression\s*([\d.]+) s/.exec(setup)?.[1] ?? null };
    });
    const at = (list, e) => list.find(([epoch]) => epoch === e)?.[1];
    const s = run.summary;
    return {
      runs: [run],
      figures: [
        { id: 'attention_paper_seconds', label: `attention paper preset (4000 → 800 heads, 50 epochs): run, click to done (${round(run.fps)} fps, ${run.longtasks.length} long tasks)`, value: round(run.seconds), unit: 's', max: 180 },
        { id: 'attention_paper_setup_seconds', label: 'attention paper preset: set-up incl. the compression of 4000 heads (m = 8, k = 3)', value: Number(run.setup), unit: 's', max: 1 },
        { id: 'attention_paper_residual', label: 'attention paper preset: head moment residual (goal 1e-10)', value: s.compression_residual, unit: '', max: 1e-10 },
        { id: 'attention_paper_ratios', label: 'attention paper preset: compressed / naive ÷ original at epoch 10 and 20',
          value: `${at(s.ratio_compressed, 10).toFixed(3)}× / ${at(s.ratio_naive, 10).toFixed(2)}×, ${at(s.ratio_compressed, 20).toFixed(3)}× / ${at(s.ratio_naive, 20).toFixed(2)}×` },
      ],
    };
  },
};

// ------------------------------------------------------------------ main

const started = new Date();
let commit = null;
try { commit = execFileSync('git', ['-C', SERVED, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim(); } catch { /* not a checkout */ }
const server = await serveDirectory(SERVED);
const results = { date: started.toISOString(), commit, root: SERVED, reps: REPS, node: process.version, cpus: os.cpus().length, chromium: null, cases: {} };
let failed = 0;
const withinBudget = (f) => (f.max !== undefined ? f.value <= f.max : f.min !== undefined ? f.value >= f.min : null);
try {
  {
    const b = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--headless', '--no-sandbox'] });
    results.chromium = b.version();
    await b.close();
  }
  for (const name of ONLY) {
    if (!cases[name]) throw new Error(`unknown case ${name}; known: ${Object.keys(cases).join(', ')}`);
    const load_before = loadavg();
    const t = Date.now();
    process.stderr.write(`budgets: ${name}…`);
    try {
      const { runs, figures } = await cases[name](server.base);
      for (const f of figures) f.within = withinBudget(f);
      results.cases[name] = { seconds: (Date.now() - t) / 1000, load_before, load_after: loadavg(), runs, figures };
      process.stderr.write(` ${((Date.now() - t) / 1000).toFixed(0)} s\n`);
    } catch (e) {
      failed++;
      results.cases[name] = { error: String(e.message || e), load_before, load_after: loadavg() };
      process.stderr.write(` failed: ${e.message.split('\n')[0]}\n`);
    }
  }
} finally {
  server.stop();
}

// The table: figure, measured, budget, verdict.
const rows = [];
for (const [name, c] of Object.entries(results.cases)) {
  if (c.error) { rows.push([`${name}: could not be measured: ${c.error.split('\n')[0]}`, '', '', 'ERROR']); continue; }
  for (const f of c.figures) {
    const budget = f.max !== undefined ? `≤ ${f.max} ${f.unit}` : f.min !== undefined ? `≥ ${f.min} ${f.unit}` : '';
    rows.push([f.label, `${f.value}${f.unit ? ` ${f.unit}` : ''}`, budget, f.within === null ? '' : f.within ? 'ok' : 'OVER']);
  }
}
const width = rows.reduce((w, r) => r.map((c, i) => Math.max(w[i] || 0, c.length)), []);
console.log(`budgets ${results.date.slice(0, 16)} commit ${commit ?? '?'}, Chromium ${results.chromium}, ${results.cpus} cores, load ${loadavg().join(' ')}, median of ${REPS}`);
for (const r of rows) console.log(r.map((c, i) => (i === 0 ? c.padEnd(width[0]) : c.padStart(width[i]))).join('  ').trimEnd());
const over = rows.filter((r) => r[3] === 'OVER').length;
console.log(`${over} figure(s) over budget${failed ? `, ${failed} case(s) could not be measured` : ''}`);

const out = arg('--out') || join(ROOT, 'bench', `budgets-${started.toISOString().slice(0, 16).replace(':', '')}.json`);
writeFileSync(out, `${JSON.stringify(results, null, 1)}\n`);
console.log(`wrote ${out}`);
process.exitCode = failed ? 1 : STRICT && over ? 1 : 0;
