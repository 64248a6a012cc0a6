// TF.js reference (benchmark only; never part of the shipped page): the same 2→1024→1 ReLU net, MSE loss,
// same optimiser, same data and the same 32 batches as our NnBench, one training step = optimizer.minimize.
// A classic worker because TF.js ships UMD bundles; every file comes from node_modules on this server.
/* global tf */
importScripts('node_modules/@tensorflow/tfjs/dist/tf.min.js',
  'node_modules/@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js');

let model = null;

const ops = {
  async init({ backend, x, y, batches, input_dim: m = 2, width: d = 1024, batch = 128, optimizer = 'adam', lr = 1e-3, seed = 1 }) {
    if (backend === 'wasm') tf.wasm.setWasmPaths(new URL('node_modules/@tensorflow/tfjs-backend-wasm/dist/', self.location).href);
    if (!(await tf.setBackend(backend))) throw new Error(`TF.js backend '${backend}' is not available here`);
    await tf.ready();
    const u = (shape, a, s) => tf.variable(tf.randomUniform(shape, -a, a, 'float32', seed + s));
    const W1 = u([m, d], 1 / Math.sqrt(m), 1), b1 = u([d], 1 / Math.sqrt(m), 2);
    const W2 = u([d, 1], 1 / Math.sqrt(d), 3), b2 = u([1], 1 / Math.sqrt(d), 4);
    const xb = [], yb = [];
    for (let k = 0; k * batch < batches.length; k++) {
      const idx = batches.subarray(k * batch, (k + 1) * batch);
      const bx = new Float32Array(batch * m), by = new Float32Array(batch);
      idx.forEach((i, s) => { for (let j = 0; j < m; j++) bx[s * m + j] = x[i * m + j]; by[s] = y[i]; });
      xb.push(tf.tensor2d(bx, [batch, m]));
      yb.push(tf.tensor2d(by, [batch, 1]));
    }
    const opt = optimizer === 'sgd' ? tf.train.sgd(lr) : tf.train.adam(lr, 0.9, 0.999, 1e-8);
    const predict = (xs) => tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(xs, W1), b1)), W2), b2);
    model = { xb, yb, opt, predict, next: 0 };
    const info = { backend: tf.getBackend(), version: tf.version.tfjs };
    if (backend === 'wasm') {
      info.simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
      info.threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
    }
    return info;
  },
  train({ min_seconds }) {
    const { xb, yb, opt, predict } = model;
    const t0 = performance.now();
    let steps = 0;
    let loss;
    while (steps === 0 || performance.now() - t0 < min_seconds * 1000) {
      let cost = null;
      for (let i = 0; i < 8; i++) {
        const k = model.next++ % xb.length;
        if (cost) cost.dispose();
        cost = opt.minimize(() => tf.losses.meanSquaredError(yb[k], predict(xb[k])), true);
      }
      loss = cost.dataSync()[0]; // forces completion on asynchronous backends
      cost.dispose();
      steps += 8;
    }
    return { steps, seconds: (performance.now() - t0) / 1000, loss, tensors: tf.memory().numTensors };
  },
};

self.onmessage = async ({ data }) => {
  try {
    self.postMessage({ id: data.id, result: await ops[data.op](data) });
  } catch (e) {
    self.postMessage({ id: data.id, error: String((e && e.message) || e) });
  }
};
