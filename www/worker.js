// The compute side of the page (a module worker): owns the wasm and steps one experiment at a time in slices
// of a few milliseconds, yielding to the event loop between slices so that 'stop' (or a newer 'start') can
// arrive. It never draws; it posts plain data. It knows no experiment by name: every kind is a wasm `Run`
// (src/wasm.rs) made from the kind and its config, and what it posts is what that run hands back.
//
import init, * as wasm from './pkg/moment_lab.js';

// The wasm: next to the wasm-bindgen glue in the source tree. The builds (scripts/bundle.mjs) define
// import.meta.env.MOMENT_LAB_WASM: the hosted build as the content-hashed file's URL, the single-file build
// as the module's bytes (embedded).
const WASM = import.meta.env?.MOMENT_LAB_WASM ?? new URL('./pkg/moment_lab_bg.wasm', import.meta.url);

// Protocol (every message is tagged {type, runId?, ...}; the page ignores replies for an old runId):
//   page -> worker
//     {type:'start', runId, kind, config, csv?}   kind: any experiment of the Rust registry ('cloud', 'lth',
//                                                  'dataset', 'scaling', 'fig2', …); config: a preset name or
//                                                  an object of fields over the default preset
//     {type:'stop', runId}       pause: the run is kept and can be resumed
//     {type:'resume', runId}     continue a stopped run where it paused
//     {type:'query', runId, what, args}           on the current (or last) run: one of its queries
//          ('heatmaps' {res}, 'landscape' {res, span, trained}, 'sets', 'setcsv' {arm}), or 'document' (the
//          result document: config, provenance, summary, curves)
//     {type:'nmoments', m, k}
//     {type:'crash'} | {type:'trap'}             tests of the page's restart path: a JS exception, a wasm trap
//   worker -> page
//     {type:'ready', version, simd, presets}      presets: {kind: {name: config}}, from Rust
//     {type:'started', runId, kind, info}          info: {config, items, …} (the run's own additions: arms, a
//                                                  cloud's points, the first function maps, pace for slow motion)
//     {type:'progress', runId, fraction, items, …}  what is new since the last progress: items (curve points,
//                                                  rows, trials) and the run's own streams (maps, frames)
//     {type:'done', runId, summary, extra}         extra: the run's final data (a cloud's kept points), or null
//     {type:'stopped', runId}
//     {type:'answer', runId, what, data}
//     {type:'error', runId, message, fatal?}       fatal: the wasm trapped; the page restarts the worker
// Typed arrays in any of these are transferred, not copied.

const SLICE_MS = 12;       // aim for each step() call to take about this long
const PROGRESS_MS = 60;    // post progress at most this often
const FRAME_MS = 50;       // pause between the frames of a run in slow motion (info.pace)

let current = null;        // the running or paused job: {runId, kind, run, info, stopped, running, finished}

// Yield to the event loop. A MessageChannel message is not clamped to 4 ms like a nested setTimeout(0).
const channel = new MessageChannel();
const waiting = [];
channel.port1.onmessage = () => waiting.shift()();
const yieldNow = () => new Promise((resolve) => {
  waiting.push(resolve);
  channel.port2.postMessage(0);
});
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const message = (e) => String((e && e.message) || e);

// A wasm trap (a Rust panic) leaves the instance in an unknown state: the page restarts the worker.
const isFatal = (e) => e instanceof WebAssembly.RuntimeError;

// The buffers of every typed array in `value`, to transfer with the message that carries it.
function buffers(value, out = []) {
  if (ArrayBuffer.isView(value)) out.push(value.buffer);
  else if (Array.isArray(value)) for (const v of value) buffers(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) buffers(v, out);
  return out;
}

const post = (msg) => self.postMessage(msg, buffers(msg));

// What is new since the last post, each stream (items, maps, frames) in order.
function gather(pending, update) {
  for (const [key, list] of Object.entries(update)) pending[key] = (pending[key] || []).concat(list);
  return pending;
}

function postProgress(job, fraction, pending, always = false) {
  if (!always && !Object.values(pending).some((list) => list.length)) return;
  post({ type: 'progress', runId: job.runId, fraction, items: [], ...pending });
}

async function loop(job) {
  job.running = true;
  const pace = job.info.pace || null;
  let budget = 1;
  let lastPost = 0;
  let pending = {};
  try {
    while (!job.run.done()) {
      await yieldNow();
      if (job.stopped || current !== job) {
        if (current === job) postProgress(job, job.run.progress(), pending);   // a replaced run is already freed
        job.running = false;
        if (current === job) post({ type: 'stopped', runId: job.runId });
        return;
      }
      if (pace) {
        // Slow motion: a fixed amount of work per frame, every frame posted, a pause between frames.
        const update = job.run.step(pace.budget);
        postProgress(job, job.run.progress(), update, true);
        await sleep(FRAME_MS);
        if (current !== job) return;   // a newer run replaced (and freed) this one meanwhile
        continue;
      }
      const t = performance.now();
      pending = gather(pending, job.run.step(budget));
      const took = performance.now() - t;
      // Steer the budget so one call takes about SLICE_MS (at most doubling or halving per slice).
      budget = Math.max(1, Math.round(budget * Math.min(2, Math.max(0.5, SLICE_MS / Math.max(took, 0.05)))));
      if (t - lastPost > PROGRESS_MS) {
        postProgress(job, job.run.progress(), pending, true);
        pending = {};
        lastPost = t;
      }
    }
    postProgress(job, 1, pending);
    const { summary, extra } = job.run.finish();
    job.running = false;
    job.finished = true;
    post({ type: 'done', runId: job.runId, summary, extra: extra ?? null });
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
  const job = { runId, kind, run: null, info: null, stopped: false, running: false, finished: false };
  if (current) current.stopped = true;
  drop();
  current = job;
  try {
    const text = JSON.stringify(config);
    job.run = csv == null ? new wasm.Run(kind, text) : wasm.Run.from_csv(kind, csv, text);
    job.info = job.run.info();
    post({ type: 'started', runId, kind, info: job.info });
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
    const data = what === 'document' ? job.run.document() : job.run.query(what, JSON.stringify(args ?? {}));
    post({ type: 'answer', runId, what, data });
  } catch (e) {
    if (isFatal(e)) fail(job, e);
    else self.postMessage({ type: 'answer', runId, what, data: null, error: message(e) });
  }
}

const ready = init({ module_or_path: WASM }).then(
  () => self.postMessage({ type: 'ready', version: wasm.version(), simd: wasm.simd_enabled(), presets: wasm.presets() }),
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
        wasm.Run.prototype.step.call({ __wbg_ptr: 0xfffffff0 }, 1);
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
