// The compute side of the page (a module worker): owns the wasm, runs CloudRun.step(budget) in slices of a few
// milliseconds, and yields to the event loop between slices so that a 'stop' (or a newer 'start') can arrive.
// Protocol: see the top of main.js. Every reply carries the runId it belongs to.
//
// scripts/make_single_html.py replaces the import line below with the inlined wasm-bindgen module and an
// init() that instantiates the base64-embedded wasm with initSync; keep it on one line.
import init, * as wasm from './pkg/moment_lab.js';

const SLICE_MS = 8;        // aim for each step() call to take about this long
const PROGRESS_MS = 50;    // post progress at most this often

let current = null;        // {runId, run, stopped}

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

async function runCloud({ runId, config, csv }) {
  const job = { runId, run: null, stopped: false };
  current = job;
  try {
    const cfg = JSON.stringify(config);
    job.run = csv == null ? new wasm.CloudRun(cfg) : wasm.CloudRun.from_csv(csv, cfg);
    const points = job.run.points();
    const weights = job.run.input_weights();
    const dim = job.run.dim();
    self.postMessage({ type: 'started', runId, d: points.length / dim, dim, points, weights },
      [points.buffer, weights.buffer]);

    const t0 = performance.now();
    let budget = 4;
    let lastPost = 0;
    let fraction = 0;
    while (!job.run.done()) {
      await yieldNow();
      if (job.stopped) {
        self.postMessage({ type: 'stopped', runId });
        return;
      }
      const t = performance.now();
      fraction = job.run.step(budget);
      const took = performance.now() - t;
      // Steer the budget so one call takes about SLICE_MS (at most doubling or halving per slice).
      budget = Math.max(1, Math.round(budget * Math.min(2, Math.max(0.5, SLICE_MS / Math.max(took, 0.05)))));
      if (t - lastPost > PROGRESS_MS) {
        self.postMessage({ type: 'progress', runId, fraction });
        lastPost = t;
      }
    }
    const ms = performance.now() - t0;
    const summary = JSON.parse(job.run.summary_json());
    const indices = job.run.kept_indices();
    const keptWeights = job.run.kept_weights();
    self.postMessage({ type: 'done', runId, summary, indices, weights: keptWeights, csv: job.run.kept_csv(), ms },
      [indices.buffer, keptWeights.buffer]);
  } catch (e) {
    const fatal = isFatal(e);
    if (fatal) job.run = null;   // do not touch an instance that trapped
    self.postMessage({ type: 'error', runId, message: fatal ? `the compressor crashed (${message(e)})` : message(e), fatal });
  } finally {
    if (job.run) job.run.free();
    if (current === job) current = null;
  }
}

const ready = init().then(
  () => self.postMessage({ type: 'ready', version: wasm.version(), simd: wasm.simd_enabled() }),
  (e) => self.postMessage({ type: 'error', runId: 0, message: `could not load the wasm module: ${message(e)}`, fatal: false }),
);

self.onmessage = async ({ data }) => {
  await ready;
  switch (data.type) {
    case 'start':
      if (current) current.stopped = true;
      runCloud(data);
      break;
    case 'stop':
      if (current && current.runId === data.runId) current.stopped = true;
      else self.postMessage({ type: 'stopped', runId: data.runId });
      break;
    case 'nmoments':
      try {
        self.postMessage({ type: 'nmoments', m: data.m, k: data.k, n: wasm.n_moments(data.m, data.k) });
      } catch (e) {
        self.postMessage({ type: 'nmoments', m: data.m, k: data.k, error: message(e) });
      }
      break;
  }
};
