// Dataset compression (Fig. 3): full data vs the compressed weighted subset vs a random subset (vs k-means),
// on the teacher task or the user's own CSV; their curves live, and loss landscapes with a 1-D slice.

import { LinePlot, armLabel, armSeries, download } from './plot.js';
import { curveView, factsList, finalOf, fmt, mapCell, presetApplier, ratio, throttled } from './curves.js';
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
