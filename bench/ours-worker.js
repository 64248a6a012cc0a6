// Our wasm (www/pkg, simd128) in a module worker, as on the page. Requests:
//   {op:'init'}                                   -> {simd}; includes a >= 0.5 s tier-up warm-up
//   {op:'compress', case, reps}                   -> {seconds:[..], kept, residual, fig2_error, factorisations}
//   {op:'nn', config, mode:'grad'|'train', min_seconds} -> {steps, seconds, loss, flops_per_grad_step}
//   {op:'nn_data', config}                        -> {x, y, batches} (the same data and batches, for TF.js)
import init, { BenchCase, NnBench, simd_enabled } from '../www/pkg/moment_lab.js';

const cases = new Map();
const nets = new Map();

function netFor(config) {
  const key = JSON.stringify(config);
  if (!nets.has(key)) nets.set(key, new NnBench(key));
  return nets.get(key);
}

const ops = {
  async init() {
    await init();
    // V8 compiles wasm with Liftoff first and tiers up to TurboFan in the background: warm up >= 0.5 s.
    const warm = new BenchCase(JSON.stringify({ dim: 2, order: 3, d: 4000, target: 400, seed: 9 }));
    const t0 = performance.now();
    while (performance.now() - t0 < 500) warm.run();
    warm.free();
    return { simd: simd_enabled() };
  },
  compress({ case: c, reps = 1 }) {
    const key = JSON.stringify(c);
    if (!cases.has(key)) cases.set(key, new BenchCase(key));
    const bc = cases.get(key);
    const seconds = [];
    let out;
    for (let i = 0; i < reps; i++) {
      const t = performance.now();
      out = bc.run();
      seconds.push((performance.now() - t) / 1000);
    }
    return { seconds, ...JSON.parse(out) };
  },
  nn({ config = {}, mode, min_seconds }) {
    const b = netFor(config);
    const t0 = performance.now();
    let steps = 0;
    let loss;
    // Same chunking as the native server (8 steps per call between clock reads).
    while (steps === 0 || performance.now() - t0 < min_seconds * 1000) {
      loss = mode === 'train' ? b.train_steps(8) : b.grad_steps(8);
      steps += 8;
    }
    return { steps, seconds: (performance.now() - t0) / 1000, loss, flops_per_grad_step: b.flops_per_grad_step() };
  },
  nn_data({ config = {} }) {
    const b = netFor(config);
    return { x: b.data_x(), y: b.data_y(), batches: b.batch_indices() };
  },
};

self.onmessage = async ({ data }) => {
  try {
    self.postMessage({ id: data.id, result: await ops[data.op](data) });
  } catch (e) {
    self.postMessage({ id: data.id, error: String((e && e.message) || e) });
  }
};
