// The compute side of the page (a module worker): owns the wasm and steps one experiment at a time in slices
// of a few milliseconds, yielding to the event loop between slices so that 'stop' (or a newer 'start') can
// arrive. It never draws; it posts plain data.
//
import init, * as wasm from './pkg/moment_lab.js';

// The wasm: next to the wasm-bindgen glue in the source tree. The builds (scripts/bundle.mjs) define
// import.meta.env.MOMENT_LAB_WASM: the hosted build as the content-hashed file's URL, the single-file build
// as the module's bytes (embedded).
const WASM = import.meta.env?.MOMENT_LAB_WASM ?? new URL('./pkg/moment_lab_bg.wasm', import.meta.url);

// Protocol (every message is tagged {type, runId?, ...}; the page ignores replies for an old runId):
//   page -> worker
//     {type:'start', runId, kind, config, csv?}   kind: 'cloud' | 'lth' | 'dataset' | 'scaling' | 'fig2'
//     {type:'stop', runId}       pause: the run is kept and can be resumed
//     {type:'resume', runId}     continue a stopped run where it paused
//     {type:'query', runId, what, args}           on the current (or last) run:
//          what = 'heatmaps' (lth; args {res}) | 'landscape' (dataset; args {res, span, trained})
//                 | 'sets' (dataset) | 'setcsv' (dataset; args {arm}: that arm's weighted set as CSV text)
//     {type:'nmoments', m, k}
//     {type:'crash'} | {type:'trap'}             tests of the page's restart path: a JS exception, a wasm trap
//   worker -> page
//     {type:'ready', version, simd, presets}      presets: every experiment's preset configs (from Rust)
//     {type:'started', runId, kind, info}          info: kind-specific (arms, config, points, …)
//     {type:'progress', runId, fraction, items, maps?}  items: new curve points / rows / trial results since the last
//                                                  maps (lth): function maps recorded since the last, [{epoch, data}]
//                                                  (data as the 'heatmaps' answer; 'started' info has the first)
//     {type:'done', runId, summary, extra}         extra: kind-specific final data
//     {type:'stopped', runId}
//     {type:'answer', runId, what, data}
//     {type:'error', runId, message, fatal?}       fatal: the wasm trapped; the page restarts the worker

const SLICE_MS = 12;       // aim for each step() call to take about this long
const PROGRESS_MS = 60;    // post progress at most this often

let current = null;        // the running or paused job: {runId, kind, run, adapter, stopped, running}

// Yield to the event loop. A MessageChannel message is not clamped to 4 ms like a nested setTimeout(0).
const channel = new MessageChannel();
const waiting = [];
channel.port1.onmessage = () => waiting.shift()();
const yieldNow = () => new Promise((resolve) => {
  waiting.push(resolve);
  channel.port2.postMessage(0);
});

const message = (e) => String((e && e.message) || e);

// A wasm trap (a Rust panic) leaves the instance in an unknown state: the page restarts the worker.
const isFatal = (e) => e instanceof WebAssembly.RuntimeError;

// One adapter per experiment kind: create the run, describe it, do a bounded step (returning new items and
// the fraction done), and produce the summary and the final data.
const adapters = {
  cloud: {
    create: (config, csv) => {
      const { animate, ...rest } = config;
      const cfg = JSON.stringify(rest);
      const run = csv == null ? new wasm.CloudRun(cfg) : wasm.CloudRun.from_csv(csv, cfg);
      if (animate) run.record_clusters();
      return run;
    },
    // Slow motion: about 120 frames whatever d is, each showing the clusters just reduced.
    // (Above 50 000 points, e.g. from a CSV, it runs at full speed: every frame copies all the weights.)
    pace: (run, config, info) => (config.animate && info.d <= 50000
      ? { budget: Math.max(1, Math.ceil((info.d - config.target) / 120)), delayMs: 50 } : null),
    info(run) {
      const points = run.points();
      const weights = run.input_weights();
      const dim = run.dim();
      return { data: { d: points.length / dim, dim, points, weights }, transfer: [points.buffer, weights.buffer] };
    },
    step: (run, budget, paced) => {
      const fraction = run.step(budget);
      if (!paced) return { fraction, items: [] };
      const weights = run.current_weights();
      const clusters = run.recent_clusters();
      return { fraction, items: [{ weights, clusters }], transfer: [weights.buffer, clusters.buffer] };
    },
    done: (run) => run.done(),
    finish(run) {
      const indices = run.kept_indices();
      const weights = run.kept_weights();
      return {
        summary: JSON.parse(run.summary_json()),
        extra: { indices, weights, csv: run.kept_csv() },
        transfer: [indices.buffer, weights.buffer],
      };
    },
  },
  lth: trainingAdapter((c) => new wasm.LthRun(c)),
  dataset: trainingAdapter((c, csv) => (csv == null ? new wasm.DatasetRun(c) : wasm.DatasetRun.from_csv(csv, c))),
  scaling: {
    create: (config) => new wasm.ScalingRun(JSON.stringify(config)),
    info: (run) => ({ data: { total: run.total() } }),
    step: (run, budget) => {
      const items = JSON.parse(run.step(budget));
      return { fraction: run.finished() / run.total(), items };
    },
    done: (run) => run.done(),
    finish: (run) => ({ summary: JSON.parse(run.summary_json()) }),
  },
  fig2: {
    create: (config) => new wasm.Fig2Run(JSON.stringify(config)),
    info: (run) => ({ data: { total: run.total() } }),
    step: (run, budget) => {
      const items = JSON.parse(run.step(Math.max(1, Math.min(budget, 4))));
      const total = run.total();
      return { fraction: 0, items, total };
    },
    done: (run) => run.done(),
    finish: (run) => ({ summary: { points: JSON.parse(run.points_json()), slopes: JSON.parse(run.slopes_json()) } }),
  },
};

// LTH and dataset runs share a shape: arms, config, step(epochs) -> new curve points, progress, summary.
function trainingAdapter(make) {
  return {
    create: (config, csv) => make(JSON.stringify(config), csv),   // a preset name or a config object
    info: (run) => ({
      data: {
        arms: JSON.parse(run.arms_json()),
        config: JSON.parse(run.config_json()),
        curve: JSON.parse(run.curve_json()),
      },
    }),
    step: (run, budget) => ({ items: JSON.parse(run.step(budget)), fraction: run.progress() }),
    done: (run) => run.done(),
    finish: (run) => ({ summary: JSON.parse(run.summary_json()) }),
    newMaps,
  };
}

// LTH: the function maps the run recorded since the last call, as {maps: [{epoch, data}], transfer}.
function newMaps(run, job) {
  const maps = [];
  if (typeof run.maps_count !== 'function') return { maps, transfer: [] };
  job.mapsSent ??= 0;
  for (const n = run.maps_count(); job.mapsSent < n; job.mapsSent++) {
    maps.push({ epoch: run.maps_epoch(job.mapsSent), data: run.maps_at(job.mapsSent) });
  }
  return { maps, transfer: maps.map((m) => m.data.buffer) };
}

// A progress message with the pending items and, for runs that record them, the new function maps (unless
// `always`, none is sent when there is nothing new).
function postProgress(job, fraction, items, always = false) {
  const extra = job.adapter.newMaps ? job.adapter.newMaps(job.run, job) : { maps: [], transfer: [] };
  if (!always && !items.length && !extra.maps.length) return;
  self.postMessage({ type: 'progress', runId: job.runId, fraction, items, ...(extra.maps.length ? { maps: extra.maps } : {}) },
    extra.transfer);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function loop(job) {
  const { adapter } = job;
  job.running = true;
  const pace = adapter.pace ? adapter.pace(job.run, job.config, job.info) : null;
  let budget = 1;
  let lastPost = 0;
  let pending = [];
  let fraction = 0;
  let fig2Finished = 0;
  try {
    while (!adapter.done(job.run)) {
      await yieldNow();
      if (job.stopped || current !== job) {
        if (current === job) postProgress(job, fraction, pending);   // a replaced run is already freed
        job.running = false;
        if (current === job) self.postMessage({ type: 'stopped', runId: job.runId });
        return;
      }
      const t = performance.now();
      if (pace) {
        // Animated: a fixed amount of work per frame, every frame posted, a pause between frames.
        const r = adapter.step(job.run, pace.budget, true);
        self.postMessage({ type: 'progress', runId: job.runId, fraction: r.fraction, items: r.items }, r.transfer || []);
        await sleep(pace.delayMs);
        if (current !== job) return;   // a newer run replaced (and freed) this one meanwhile
        continue;
      }
      const r = adapter.step(job.run, budget);
      const took = performance.now() - t;
      if (r.total) {
        fig2Finished += r.items.length;
        r.fraction = fig2Finished / r.total;
      }
      fraction = r.fraction;
      if (r.items.length) pending = pending.concat(r.items);
      // Steer the budget so one call takes about SLICE_MS (at most doubling or halving per slice).
      budget = Math.max(1, Math.round(budget * Math.min(2, Math.max(0.5, SLICE_MS / Math.max(took, 0.05)))));
      if (t - lastPost > PROGRESS_MS) {
        postProgress(job, fraction, pending, true);
        pending = [];
        lastPost = t;
      }
    }
    postProgress(job, 1, pending);
    const out = adapter.finish(job.run);
    job.running = false;
    job.finished = true;
    self.postMessage({ type: 'done', runId: job.runId, summary: out.summary, extra: out.extra || null },
      out.transfer || []);
  } catch (e) {
    fail(job, e);
  }
}

// After a trap the instance's memory is intact: one call reads what the Rust panic hook recorded
// ("panicked at src/…:line:col: message"), null if the trap was not a panic (or the call fails).
const panicMessage = () => {
  try { return wasm.last_panic_message() || null; } catch { return null; }
};

function fail(job, e) {
  const fatal = isFatal(e);
  job.running = false;
  if (fatal && job.run) job.run = null;   // never touch an instance that trapped
  self.postMessage({
    type: 'error', runId: job.runId, fatal,
    message: fatal ? `the computation crashed (${panicMessage() || message(e)}); the worker was restarted` : message(e),
  });
  if (current === job) drop();
}

function drop() {
  if (current && current.run) {
    try { current.run.free(); } catch { /* already gone */ }
  }
  current = null;
}

function start({ runId, kind, config, csv }) {
  const adapter = adapters[kind];
  const job = { runId, kind, config, adapter, run: null, info: null, stopped: false, running: false };
  if (current) current.stopped = true;
  drop();
  current = job;
  if (!adapter) {
    fail(job, new Error(`unknown experiment '${kind}'`));
    return;
  }
  try {
    job.run = adapter.create(config, csv);
    const { data, transfer } = adapter.info(job.run);
    job.info = { ...data };
    const first = adapter.newMaps ? adapter.newMaps(job.run, job) : { maps: [], transfer: [] };
    if (first.maps.length) data.maps = first.maps;
    self.postMessage({ type: 'started', runId, kind, info: data }, [...(transfer || []), ...first.transfer]);
  } catch (e) {
    fail(job, e);
    return;
  }
  loop(job);
}

function answer({ runId, what, args }) {
  const job = current;
  if (!job || job.runId !== runId || !job.run) {
    self.postMessage({ type: 'answer', runId, what, data: null, error: 'that run is gone' });
    return;
  }
  try {
    let data;
    if (what === 'heatmaps') {
      data = job.run.heatmaps(args.res);
      self.postMessage({ type: 'answer', runId, what, data }, [data.buffer]);
      return;
    }
    if (what === 'landscape') data = JSON.parse(job.run.landscape_json(args.res, args.span, !!args.trained));
    else if (what === 'sets') data = [0, 1, 2, 3].slice(0, JSON.parse(job.run.arms_json()).length).map((a) => job.run.set_points(a));
    else if (what === 'setcsv') data = job.run.set_csv(args.arm);
    else throw new Error(`unknown query '${what}'`);
    self.postMessage({ type: 'answer', runId, what, data });
  } catch (e) {
    if (isFatal(e)) fail(job, e);
    else self.postMessage({ type: 'answer', runId, what, data: null, error: message(e) });
  }
}

const ready = init({ module_or_path: WASM }).then(
  () => self.postMessage({ type: 'ready', version: wasm.version(), simd: wasm.simd_enabled(), presets: JSON.parse(wasm.presets_json()) }),
  (e) => self.postMessage({ type: 'error', runId: 0, message: `could not load the wasm module: ${message(e)}`, fatal: false }),
);

self.onmessage = async ({ data }) => {
  if (data.type === 'crash') {
    // For the e2e test of crash recovery: an uncaught exception in the worker, as a bug would raise. (Thrown
    // from a timer: a throw inside this async handler would only reject a promise.)
    setTimeout(() => { throw new Error('crash requested by the page (test of the recovery path)'); });
    return;
  }
  await ready;
  switch (data.type) {
    case 'start':
      start(data);
      break;
    case 'stop':
      if (current && current.runId === data.runId) {
        if (current.running) current.stopped = true;
        // a finished run has already said 'done': nothing to stop
      } else {
        self.postMessage({ type: 'stopped', runId: data.runId });
      }
      break;
    case 'resume':
      if (current && current.runId === data.runId && !current.running && !current.finished && current.run) {
        current.stopped = false;
        loop(current);
      } else if (!current || current.runId !== data.runId) {
        self.postMessage({ type: 'error', runId: data.runId, message: 'that run is gone (another run replaced it); press Run to start again' });
      }
      break;
    case 'query':
      answer(data);
      break;
    case 'trap': {
      // For the e2e test of the restart path: a genuine WebAssembly trap (an out-of-bounds memory access
      // through a forged object handle), raised where a Rust panic in a run would be and reported the same way.
      const job = current || { runId: 0 };
      try {
        wasm.CloudRun.prototype.step.call({ __wbg_ptr: 0xfffffff0 }, 1);
        fail(job, new Error('the forged call did not trap'));
      } catch (e) {
        fail(job, e);
      }
      break;
    }
    case 'nmoments':
      try {
        self.postMessage({ type: 'nmoments', m: data.m, k: data.k, n: wasm.n_moments(data.m, data.k) });
      } catch (e) {
        self.postMessage({ type: 'nmoments', m: data.m, k: data.k, error: message(e) });
      }
      break;
  }
};
