// Times the compressor in wasm: warm-up >= 0.5 s, then the best of `reps` runs per case.
import init, { BenchCase, simd_enabled } from './pkg/moment_lab.js';

const SMALL = [
  { dim: 3, order: 5, d: 10000, target: 1000, strategy: 'auto' },
  { dim: 3, order: 5, d: 10000, target: 1000, strategy: 'greedy' },
  { dim: 3, order: 5, d: 10000, target: 1000, strategy: 'bulk' },
  { dim: 4, order: 5, d: 10000, target: 1000, strategy: 'auto' },
];
const FULL = [...SMALL, { dim: 3, order: 6, d: 100000, target: 5059, strategy: 'auto' }];

self.onmessage = async ({ data }) => {
  try {
    await init();
    const cases = data.cases === 'small' ? SMALL : FULL;
    // Warm-up: V8 tiers wasm up in the background; time only after >= 0.5 s of work.
    const warm = new BenchCase(JSON.stringify({ dim: 2, order: 3, d: 4000, target: 400, seed: 9 }));
    const t0 = performance.now();
    while (performance.now() - t0 < 500) warm.run();
    warm.free();
    for (const c of cases) {
      const bc = new BenchCase(JSON.stringify({ ...c, seed: 1 }));
      const reps = c.d > 20000 ? 2 : 3;
      let best = Infinity;
      let out = null;
      for (let i = 0; i < reps; i++) {
        const t = performance.now();
        out = JSON.parse(bc.run());
        best = Math.min(best, (performance.now() - t) / 1000);
      }
      bc.free();
      self.postMessage({ type: 'row', row: { ...c, best_seconds: best, ...out } });
    }
    self.postMessage({ type: 'done', simd: simd_enabled() });
  } catch (e) {
    self.postMessage({ type: 'error', message: String(e && e.message || e) });
  }
};
