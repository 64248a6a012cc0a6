// Starts the benchmark workers and exposes `window.bench.call(name, message)` (a Promise of the worker's
// answer) for bench/run.mjs, which decides the order of the runs so that compared things interleave.
const workers = new Map();
let nextId = 1;
const pending = new Map();

function spawn(name) {
  const w = name === 'ours'
    ? new Worker(new URL('./ours-worker.js', import.meta.url), { type: 'module' })
    : new Worker(new URL('./tfjs-worker.js', import.meta.url)); // classic: TF.js ships UMD bundles
  w.onmessage = ({ data }) => {
    const p = pending.get(data.id);
    pending.delete(data.id);
    if (data.error) p.reject(new Error(`${name}: ${data.error}`));
    else p.resolve(data.result);
  };
  w.onerror = (e) => {
    for (const [id, p] of pending) { pending.delete(id); p.reject(new Error(`${name}: ${e.message}`)); }
  };
  workers.set(name, w);
  return w;
}

window.bench = {
  call(name, message) {
    const w = workers.get(name) || spawn(name);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      w.postMessage({ id, ...message });
    });
  },
};
document.getElementById('status').textContent = 'ready';
document.body.dataset.ready = '1';
