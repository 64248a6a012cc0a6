// Dataset compression (Fig. 3): full data vs the compressed weighted subset vs a random subset (vs k-means),
// on the teacher task or the user's own CSV; their curves live, and loss landscapes with a 1-D slice.

import { plotFigure } from './panel.js';
import { LinePlot, armLabel, armSeries, download } from './plot.js';
import { curveFigures, curveView, factsList, finalOf, fmt, mapCell, presetApplier, ratio, throttled } from './curves.js';
import { exportGrids, wireExports } from './exports.js';
import { csvUpload } from './upload.js';

export function createDataset(ctx) {
  const { q } = ctx;
  const view = curveView(ctx);
  const slice = new LinePlot(q('[data-plot="slice"]'), { xlabel: 'step along direction 1', ylabel: 'training loss', logy: true });
  const plots = { ...view.plots, slice };
  let summary = null;
  wireExports(ctx, plots, 'dataset', () => ({ summary }));
  const applyPreset = presetApplier(ctx, () => ctx.presets?.dataset, {
    seed: (p) => p.seed, d: (p) => p.d, target: (p) => p.target, order: (p) => p.order, epochs: (p) => p.epochs,
    optimizer: (p) => p.optimizer, lr: (p) => p.lr, batch_size: (p) => p.batch_size ?? 0, noise: (p) => p.noise,
    kmeans: (p) => p.arms.includes('kmeans'),
  });
  // The user's own data (a CSV), or null for the teacher–student task.
  const form = ctx.section.querySelector('form');
  let arms = [];
  const setCsvButton = q('[data-role="set-csv"]');
  // The training size of a CSV replaces d in the form while the file is in use; the teacher's d comes back.
  let teacherD = null;
  const upload = csvUpload(ctx, {
    disables: ['d', 'noise'],
    onLoad: () => { if (teacherD === null) teacherD = form.elements.d.value; },
    onClear: () => { if (teacherD !== null) form.elements.d.value = teacherD; teacherD = null; },
  });
  setCsvButton.addEventListener('click', () => ctx.query('setcsv', { arm: arms.indexOf('compressed') }));

  const lsButton = q('[data-role="ls-run"]');
  const lsStatus = q('[data-role="ls-status"]');
  let lsStarted = 0;
  let landscape = null;
  for (const asCsv of [false, true]) {
    q(`[data-role="ls-${asCsv ? 'csv' : 'json'}"]`).addEventListener('click', () => landscape && exportGrids(
      `loss-landscapes-${landscape.around_trained ? 'trained' : 'init'}`,
      Object.fromEntries(landscape.arms.map((a, i) => [a, landscape.losses[i]])), landscape.res, landscape.span,
      { around: landscape.around_trained ? 'trained full-data parameters' : 'initial parameters', deviation: landscape.deviation }, asCsv));
  }
  lsButton.addEventListener('click', () => {
    const res = Number(q('[data-role="ls-res"]').value);
    const span = Number(q('[data-role="ls-span"]').value);
    if (!Number.isInteger(res) || res < 5 || res > 81 || res % 2 === 0 || !(span > 0 && span <= 10)) {
      lsStatus.textContent = 'the grid must be an odd whole number in 5…81 (the slice is its middle row) and the half-width in (0, 10]';
      return;
    }
    lsStarted = performance.now();
    lsStatus.textContent = 'computing…';
    lsButton.disabled = true;
    ctx.query('landscape', { res, span, trained: q('[data-role="ls-where"]').value === 'trained' });
  });

  const describeLive = throttled(() => describe(false), 2000);
  function describe(final) {
    const f = finalOf(view, 'full');
    const epoch = view.curve.length ? view.curve[view.curve.length - 1].epoch : 0;
    q('[data-role="alt"]').textContent = !view.curve.length ? 'No run yet.'
      : `${final ? 'Final' : `Epoch ${epoch}:`} test losses — ${view.arms.map((a) => `${armLabel(a)} ${fmt(finalOf(view, a))}`).join('; ')}. ` +
        `Compressed / full ${ratio(finalOf(view, 'compressed') / f)}, naive / full ${ratio(finalOf(view, 'naive') / f)}.`;
  }

  return {
    applyPreset,
    config(v) {
      const base = ctx.presets?.dataset?.[v.preset] || {};
      const arms = ['full', 'compressed', 'naive'];
      if (v.kmeans) arms.push('kmeans');
      return {
        kind: 'dataset',
        config: {
          ...base, seed: v.seed, d: v.d, target: v.target, order: v.order, epochs: v.epochs, optimizer: v.optimizer,
          lr: v.lr, batch_size: v.batch_size > 0 ? v.batch_size : null, samples_per_epoch: v.d, noise: v.noise, arms,
          eval_every: Math.max(1, Math.round(v.epochs / 80)),
        },
        csv: upload.text(),
      };
    },
    shareable: () => upload.text() === null,
    userData: () => upload.text() !== null,
    // A run on the file failed: back to the built-in data; returns the file's name for the message.
    dropUpload() {
      const name = upload.name();
      upload.clear();
      return name;
    },
    reset() {
      summary = null;
      view.reset([]);
      slice.set([]);
      setCsvButton.hidden = true;
      landscape = null;
      q('[data-role="ls-json"]').hidden = true;
      q('[data-role="ls-csv"]').hidden = true;
      q('[data-role="ls-maps"]').replaceChildren();
      lsButton.disabled = true;
      lsStatus.textContent = 'train first';
      factsList(q('[data-role="facts"]'), []);
      describe(false);
    },
    started(info) {
      arms = info.arms;
      view.started(info, describe);
      if (upload.text() !== null) form.elements.d.value = String(info.config.d);
      return `training on ${info.arms.length} data sets (d = ${info.config.d}${upload.text() !== null ? ` rows of ${upload.name()}, ${info.config.n_test} held out` : ''}, d′ = ${info.config.target})…`;
    },
    progress(items) {
      view.progress(items, describeLive);
    },
    done(s, _extra, ms, setupMs) {
      summary = s;
      describe(true);
      const full = s.arms.find((a) => a.arm === 'full');
      factsList(q('[data-role="facts"]'), [
        ['final test loss, full data', fmt(full?.final_test)],
        ...(s.output_variance != null ? [['loss units', `var(y) = ${fmt(s.output_variance)}`,
          'your columns are standardised on the training rows, so losses are in units of the variance of y (about 1 = predicting the mean); multiply by var(y) for your units']] : []),
        ['compressed / full', ratio(s.final_ratio_compressed)],
        ['naive / full', ratio(s.final_ratio_naive)],
        ...(s.final_ratio_kmeans != null ? [['k-means / full', ratio(s.final_ratio_kmeans)]] : []),
        ['naive: final / its minimum', ratio(s.naive_overfit), 'above 1: the naive subset overfits'],
        ['data moment residual', s.compression_residual.toExponential(1)],
        ['set-up incl. compression', `${(setupMs / 1000).toFixed(2)} s`, 'data generation and moment compression, before the first epoch'],
        ['training, all arms', `${((ms - setupMs) / 1000).toFixed(1)} s`],
        ...s.arms.filter((a) => a.diverged).map((a) => [`${a.arm} diverged`, a.diverged]),
      ]);
      setCsvButton.hidden = !arms.includes('compressed');
      lsButton.disabled = false;
      lsButton.click();   // the 41×41 landscapes take about a second: show them without asking
      return `done: ${s.epochs_done} epochs`;
    },
    answer(what, data, error) {
      if (what === 'setcsv') {
        if (data) download(`${upload.name() ? upload.name().replace(/\.[^.]*$/, '') : 'teacher'}-compressed-weighted.csv`, new Blob([data], { type: 'text/csv' }));
        else ctx.showError(`could not export the set: ${error}`);
        return;
      }
      if (what !== 'landscape') return;
      lsButton.disabled = false;
      if (!data) {
        lsStatus.textContent = `could not compute: ${error || 'unknown error'}`;
        return;
      }
      const ms = performance.now() - lsStarted;
      const { res, arms, losses, deviation } = data;
      landscape = data;
      q('[data-role="ls-json"]').hidden = false;
      q('[data-role="ls-csv"]').hidden = false;
      let lo = Infinity, hi = -Infinity;
      for (const l of losses) for (const v of l) if (v > 0) { lo = Math.min(lo, Math.log10(v)); hi = Math.max(hi, Math.log10(v)); }
      const cells = arms.map((a, i) => mapCell(
        `${armLabel(a)}${i ? ` (deviation ${deviation[i].toExponential(1)})` : ''}`,
        Float64Array.from(losses[i], (v) => Math.log10(Math.max(v, 1e-300))), res, { min: lo, max: hi }));
      q('[data-role="ls-maps"]').replaceChildren(...cells);
      const mid = (res - 1) / 2;
      const span = data.span;
      slice.set(arms.map((a, i) => armSeries(a,
        Array.from({ length: res }, (_, c) => [-span + (2 * span * c) / (res - 1), losses[i][mid * res + c]]))));
      const ci = arms.indexOf('compressed');
      const ni = arms.indexOf('naive');
      const better = ci > 0 && ni > 0 ? ` — the compressed set's is ${(deviation[ni] / deviation[ci]).toFixed(0)}× closer than the naive subset's` : '';
      lsStatus.textContent = `${res}×${res} grid, ${arms.length} data sets in ${(ms / 1000).toFixed(2)} s; deviation from the full set's landscape: ` +
        arms.map((a, i) => (i ? `${a} ${deviation[i].toExponential(1)}` : '')).filter(Boolean).join(', ') + better;
      q('.landscape').dataset.deviation = JSON.stringify(deviation);
    },
  };
}

// The tab (lab/panel.js): its button, its settings (the default preset's values) and its results' markup.
export const tab = {
  kind: 'dataset',
  label: 'Dataset compression',
  fields: `
      <label data-field="preset"><span>preset</span> <select name="preset">
        <option value="quick" selected>quick (seconds)</option>
        <option value="demo">demo (authors' laptop demo)</option>
        <option value="paper">paper (the paper's Fig. 3c)</option>
        <option value="paper-sgd-full">Fig. 3a SGD full batch</option>
        <option value="paper-adamw-full">Fig. 3b AdamW full batch</option>
        <option value="paper-sgd-batch">Fig. 3c SGD batch 256</option>
        <option value="paper-adamw-batch">Fig. 3d AdamW batch 256</option>
      </select></label>
      <label data-field="seed"><span>seed</span> <input name="seed" type="number" min="0" step="1" value="42"></label>
      <label data-field="d"><span>data points <var>d</var></span> <input name="d" type="number" min="2" max="1000000" step="1" value="4000"></label>
      <label data-field="target"><span>compressed size <var>d′</var></span> <input name="target" type="number" min="1" step="1" value="400"></label>
      <label data-field="order"><span>order <var>k</var></span> <input name="order" type="number" min="0" max="12" step="1" value="4"></label>
      <label data-field="epochs"><span>epochs</span> <input name="epochs" type="number" min="1" max="100000" step="1" value="200"></label>
      <label data-field="optimizer"><span>optimiser</span> <select name="optimizer">
        <option value="sgd" selected>SGD</option><option value="adam">Adam</option><option value="adamw">AdamW</option>
        <option value="rprop">Rprop</option><option value="rmsprop">RMSprop</option></select></label>
      <label data-field="lr"><span>learning rate</span> <input name="lr" type="number" min="0" step="any" value="0.01"></label>
      <label data-field="batch_size"><span>batch (0 = full)</span> <input name="batch_size" type="number" min="0" step="1" value="256"></label>
      <label data-field="noise"><span>label noise σ</span> <input name="noise" type="number" min="0" step="any" value="3"></label>
      <label data-field="kmeans" class="check"><span>k-means arm</span> <input name="kmeans" type="checkbox"></label>`,
  formEnd: `
    <div class="source" data-field="csv">
      <label class="file">your own data (CSV)
        <input data-role="csv" type="file" accept=".csv,text/csv,text/plain"></label>
      <span data-role="csv-name" class="csv-name" hidden></span>
      <button data-role="csv-clear" type="button" class="link" hidden>use the teacher–student task again</button>
    </div>
    <p class="hint small">CSV: a header row and numeric columns; the output is the column named <code>y</code> (or the
      last one), every other column is an input. A seeded fifth of the rows is held out as the test set; <var>d</var>
      is the rest. At most 10<sup>6</sup> rows and 64 MB.</p>`,
  body: `
  ${curveFigures('dataset', {
    test: `Test loss per epoch (on the noiseless teacher, or on the held-out fifth of your CSV), log scale;
      equal samples per epoch in every arm.`,
    train: `Training loss on each arm's own (weighted) set.`,
  })}
  <p class="exports"><button type="button" class="link" data-role="set-csv" hidden>download the compressed weighted set (CSV)</button></p>
  <div class="landscape">
    <h3>Loss landscapes</h3>
    <div class="actions">
      <label>around <select data-role="ls-where"><option value="init">the initial point</option><option value="trained" selected>the trained full-data point</option></select></label>
      <label>grid <input data-role="ls-res" type="number" min="5" max="81" step="2" value="41"></label>
      <label>half-width <input data-role="ls-span" type="number" min="0.01" max="10" step="any" value="1"></label>
      <button type="button" data-role="ls-run" disabled>Compute landscapes</button>
      <span class="status" data-role="ls-status" aria-live="polite">train first</span>
    </div>
    <div class="maps" data-role="ls-maps"></div>
    <p class="exports"><button type="button" class="link" data-role="ls-json" hidden>landscapes as JSON</button>
      <button type="button" class="link" data-role="ls-csv" hidden>landscapes as CSV</button></p>
    ${plotFigure('slice', {
      label: 'one-dimensional slice through the loss landscapes',
      caption: `The middle row of each landscape: loss along one filter-normalised direction.`,
      cls: 'plot small-plot',
    })}
  </div>
  <div class="explain">
    <h3>What you see</h3>
    <p>The training loss Σ<sub>i</sub> <var>c<sub>i</sub></var> ℓ(<var>x<sub>i</sub></var>, <var>y<sub>i</sub></var>; θ) is a symmetric
      function of the data points (<var>x<sub>i</sub></var>, <var>y<sub>i</sub></var>) ∈ R<sup>3</sup>. Matching the moments
      of the data up to order <var>k</var> with a weighted subset keeps the loss — at every θ, so the whole landscape
      and every training curve on it — up to the Taylor remainder in small clusters. Full batch uses the weighted
      MSE; mini-batches draw points with probability ∝ <var>c<sub>i</sub></var>.</p>
    <p>A random subset of the same size has the same expected loss but not the same loss: it is a different, smaller
      data set, and the student overfits it (its test loss reaches a minimum, then rises). The compressed set has
      the noise statistics of the full set built in. The landscape deviation is max |<var>L</var><sub>set</sub> −
      <var>L</var><sub>full</sub>| / max <var>L</var><sub>full</sub> over the grid.</p>
  </div>
  <details class="exercise"><summary>Exercise: what a smart subset buys</summary>
    <ol><li>Run the quick preset, then set the label noise to 0. Does the naive subset still overfit? Why does the
      advantage of the compressed set shrink?</li>
      <li>Compute the landscapes around the trained point. Which set's landscape has its minimum elsewhere, and how
      does that show in the test loss?</li></ol></details>`,
  create: createDataset,
};
