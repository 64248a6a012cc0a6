// The two training experiments share one view: train and test curves of every arm, live, a table of the
// final numbers, and a text alternative that says the same in words.
//   lth:     wide network vs its moment-matched compression vs same-width random and magnitude sub-networks;
//            heat maps of each arm's function (Fig. 4).
//   dataset: full data vs compressed weighted subset vs random subset (vs k-means); loss landscapes (Fig. 3).

import { ARM_STYLE, LinePlot, canvasToPNG, drawHeatmap, download } from './plot.js';
import { csvUpload } from './upload.js';

const fmt = (x) => (Number.isFinite(x) ? Number(x).toPrecision(4) : '–');
const ratio = (x) => (Number.isFinite(x) ? `${Number(x).toFixed(3)}×` : '–');

function curveView(ctx) {
  const { q } = ctx;
  const plots = {
    test: new LinePlot(q('[data-plot="test"]'), { xlabel: 'epoch', ylabel: 'test loss', logy: true }),
    train: new LinePlot(q('[data-plot="train"]'), { xlabel: 'epoch', ylabel: 'training loss', logy: true }),
  };
  let arms = [];
  let curve = [];
  const render = () => {
    for (const which of ['test', 'train']) {
      plots[which].set(arms.map((a, i) => ({
        name: a, label: ARM_STYLE[a]?.label || a, color: ARM_STYLE[a]?.color || '#777', dash: ARM_STYLE[a]?.dash,
        points: curve.map((p) => [p.epoch, p[which][i]]),
      })));
    }
  };
  return {
    plots,
    reset(newArms = []) { arms = newArms; curve = []; render(); },
    add(points) { curve = curve.concat(points); render(); },
    // The worker's 'started' (arms and the epoch-0 point) and 'progress' (new points) for either experiment.
    started(info, describe) { this.reset(info.arms); this.add(info.curve); describe(false); },
    progress(items, describeLive) { if (items.length) { this.add(items); describeLive(); } },
    get curve() { return curve; },
    get arms() { return arms; },
  };
}

function wireExports(ctx, plots, prefix) {
  const { section } = ctx;
  for (const b of section.querySelectorAll('[data-csv]')) {
    b.addEventListener('click', () => {
      const p = plots[b.dataset.csv];
      if (p) download(`${prefix}-${b.dataset.csv}.csv`, new Blob([p.toCSV()], { type: 'text/csv' }));
    });
  }
  for (const b of section.querySelectorAll('[data-json]')) {
    b.addEventListener('click', () => {
      const p = plots[b.dataset.json];
      if (p) download(`${prefix}-${b.dataset.json}.json`, new Blob([JSON.stringify({ ...p.toJSON(), ...(ctx.lastSummary ? { summary: ctx.lastSummary() } : {}) }, null, 1)], { type: 'application/json' }));
    });
  }
  for (const b of section.querySelectorAll('[data-png]')) {
    b.addEventListener('click', () => {
      const p = plots[b.dataset.png];
      if (p) canvasToPNG(p.canvas, `${prefix}-${b.dataset.png}.png`);
    });
  }
}

// `fn` at most once per `ms` (the text alternatives are aria-live: a screen reader should not hear every
// batch of a run).
function throttled(fn, ms) {
  let last = -Infinity;
  return () => {
    const now = performance.now();
    if (now - last >= ms) {
      last = now;
      fn();
    }
  };
}

function factsList(dl, rows) {
  dl.replaceChildren(...rows.map(([k, v, title]) => {
    const div = document.createElement('div');
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = v;
    if (title) dd.title = title;
    div.append(dt, dd);
    return div;
  }));
}

function finalOf(view, armName, which = 'test') {
  const i = view.arms.indexOf(armName);
  const last = view.curve[view.curve.length - 1];
  return i >= 0 && last ? last[which][i] : NaN;
}

// Applies a preset's config to the form fields that exist (others keep their values).
function presetApplier(ctx, presetsOf, map) {
  const form = ctx.section.querySelector('form');
  const apply = () => {
    const name = form.elements.preset.value;
    const p = presetsOf()?.[name];
    if (!p) return;
    for (const [field, get] of Object.entries(map)) {
      const c = form.elements.namedItem(field);
      if (!c) continue;
      const v = get(p);
      if (c.type === 'checkbox') c.checked = !!v;
      else c.value = String(v);
    }
  };
  form.elements.preset.addEventListener('change', apply);
  return apply;
}

// ------------------------------------------------------------------------------------------------ LTH

// Maps recorded per run: about this many epochs apart over the run, at this resolution.
const MAP_SNAPSHOTS = 30;
const MAP_RES = 48;

export function createLth(ctx) {
  const { q } = ctx;
  const view = curveView(ctx);
  let summary = null;
  let mapsRes = 0;
  let grids = null;
  let shownEpoch = null;
  // The function maps of the run, [{epoch, data}] oldest first; the slider picks one, and follows the newest
  // while it is at the right end.
  let snapshots = [];
  let cells = null;   // the map figures {key, figures: [{canvas, caption}]}, reused while the arms stay the same
  let runMapsRes = MAP_RES;   // the run's config.maps_res
  let initialMaps = null;     // the maps of 'started', drawn with the first progress
  const slider = q('[data-role="maps-epoch"]');
  const sliderLabel = q('[data-role="maps-epoch-label"]');
  ctx.lastSummary = () => summary;
  wireExports(ctx, view.plots, 'lottery-ticket');
  for (const asCsv of [false, true]) {
    q(`[data-role="maps-${asCsv ? 'csv' : 'json'}"]`).addEventListener('click', () => grids && exportGrids('lottery-ticket-functions', grids, mapsRes, 1, { epoch: shownEpoch, summary }, asCsv));
  }
  // Drawing waits for the next frame and draws only the newest request, so a burst of maps costs one draw.
  // The first time, the figures are made in one frame, shown in the next and drawn in the one after: each
  // frame stays short (a cold page took 60 ms when all three happened at once).
  let drawPending = null;
  const drawFrame = () => {
    const snap = drawPending;
    if (!snap || !snapshots.includes(snap)) {
      drawPending = null;
      return;
    }
    const section = q('[data-role="heatmaps"]');
    if (cells?.key !== mapsKey() || section.hidden) {
      if (cells?.key !== mapsKey()) prepareCells();
      else section.hidden = false;
      requestAnimationFrame(drawFrame);
      return;
    }
    drawPending = null;
    drawMaps(snap.data, runMapsRes, snap.epoch);
  };
  const showSnapshot = (i) => {
    const snap = snapshots[i];
    if (!snap) return;
    slider.value = String(i);
    slider.setAttribute('aria-valuetext', `epoch ${snap.epoch}`);
    sliderLabel.textContent = `epoch ${snap.epoch}`;
    // What the export buttons save follows the slider at once, not at the next frame.
    const n = runMapsRes * runMapsRes;
    const names = [...view.arms, 'target'];
    grids = Object.fromEntries(names.map((nm, k) => [nm, snap.data.subarray(k * n, (k + 1) * n)]));
    mapsRes = runMapsRes;
    shownEpoch = snap.epoch;
    if (drawPending === null) requestAnimationFrame(drawFrame);
    drawPending = snap;
  };
  const addSnapshots = (list) => {
    if (!list?.length) return;
    const following = snapshots.length === 0 || Number(slider.value) >= snapshots.length - 1;
    snapshots = snapshots.concat(list);
    slider.max = String(snapshots.length - 1);
    slider.disabled = snapshots.length < 2;
    if (following) showSnapshot(snapshots.length - 1);
  };
  slider.addEventListener('input', () => showSnapshot(Number(slider.value)));
  const applyPreset = presetApplier(ctx, () => ctx.presets?.lth, {
    seed: (p) => p.seed, width: (p) => p.width, target: (p) => p.target, order: (p) => p.order, epochs: (p) => p.epochs,
    optimizer: (p) => p.optimizer, lr: (p) => p.lr, batch_size: (p) => p.batch_size, n_train: (p) => p.n_train,
    activation: (p) => p.activation, chart: (p) => p.chart,
  });

  const describeLive = throttled(() => describe(false), 2000);
  function describe(final) {
    const o = finalOf(view, 'original');
    const parts = view.arms.map((a) => `${ARM_STYLE[a]?.label || a} ${fmt(finalOf(view, a))}`);
    const epoch = view.curve.length ? view.curve[view.curve.length - 1].epoch : 0;
    q('[data-role="alt"]').textContent = !view.curve.length ? 'No run yet.'
      : `${final ? 'Final' : `Epoch ${epoch}:`} test losses — ${parts.join('; ')}. ` +
        `The compressed network is at ${ratio(finalOf(view, 'compressed') / o)} the original's loss, the naive sub-network at ${ratio(finalOf(view, 'naive') / o)}.`;
  }

  return {
    applyPreset,
    config(v) {
      const base = ctx.presets?.lth?.[v.preset] || {};
      return {
        kind: 'lth',
        config: {
          ...base, seed: v.seed, width: v.width, target: v.target, order: v.order, epochs: v.epochs,
          optimizer: v.optimizer, lr: v.lr, batch_size: v.batch_size, n_train: v.n_train, n_test: v.n_train,
          activation: v.activation, chart: v.chart, eval_every: Math.max(1, Math.round(v.epochs / 60)),
          maps_every: Math.max(1, Math.round(v.epochs / MAP_SNAPSHOTS)), maps_res: MAP_RES,
        },
      };
    },
    shareable: () => true,
    reset() {
      summary = null;
      snapshots = [];
      initialMaps = null;
      grids = null;
      cells = null;
      view.reset([]);
      q('[data-role="heatmaps"]').hidden = true;
      factsList(q('[data-role="facts"]'), []);
      describe(false);
    },
    started(info) {
      view.started(info, describe);
      runMapsRes = info.config?.maps_res ?? MAP_RES;
      snapshots = [];
      slider.value = '0';
      // The epoch-0 maps wait for the first progress message: the start of a run is already a busy frame.
      initialMaps = info.maps || null;
      return `training ${info.arms.length} networks (width ${info.config.width} and ${info.config.target})…`;
    },
    progress(items, _fraction, maps) {
      view.progress(items, describeLive);
      if (initialMaps) {
        addSnapshots(initialMaps);
        initialMaps = null;
      }
      addSnapshots(maps);
    },
    done(s, _extra, ms, setupMs) {
      summary = s;
      describe(true);
      if (initialMaps) {
        addSnapshots(initialMaps);
        initialMaps = null;
      }
      const o = s.arms.find((a) => a.arm === 'original');
      factsList(q('[data-role="facts"]'), [
        ['initial test loss, compressed / original', s.initial_ratio_compressed != null ? `${((s.initial_ratio_compressed - 1) * 100).toFixed(2)} %` : '–', 'relative difference at epoch 0'],
        ['final test loss, original', fmt(o?.final_test)],
        ['compressed / original', ratio(s.final_ratio_compressed)],
        ['naive / original', ratio(s.final_ratio_naive)],
        ['magnitude / original', ratio(s.final_ratio_magnitude)],
        ['neuron moment residual', s.compression_residual.toExponential(1)],
        ['set-up incl. compression', `${(setupMs / 1000).toFixed(2)} s`],
        ['training, all arms', `${((ms - setupMs) / 1000).toFixed(1)} s`],
        ...s.arms.filter((a) => a.diverged).map((a) => [`${a.arm} diverged`, a.diverged]),
      ]);
      // Runs that record no maps at the last epoch (all arms diverged early): the nets as they are now.
      if (snapshots[snapshots.length - 1]?.epoch !== s.epochs_done) ctx.query('heatmaps', { res: runMapsRes });
      return `done: ${s.epochs_done} epochs`;
    },
    answer(what, data) {
      if (what !== 'heatmaps' || !data) return;
      addSnapshots([{ epoch: summary?.epochs_done ?? view.curve[view.curve.length - 1]?.epoch ?? 0, data }]);
    },
  };

  // One recorded moment of the run: every arm's function and the target (flat, res² each), and each arm's
  // difference to the original on one shared diverging scale.
  // Colour ranges are taken over finite values only: a diverged arm (NaN, drawn grey) or one blowing up (±∞)
  // does not wash out the others.
  function drawMaps(data, res, epoch) {
    const n = res * res;
    const names = [...view.arms, 'target'];
    const maps = names.map((_, i) => data.subarray(i * n, (i + 1) * n));
    let lo = Infinity, hi = -Infinity;
    for (const m of maps) for (const v of m) if (Number.isFinite(v)) { if (v < lo) lo = v; if (v > hi) hi = v; }
    const orig = maps[0];
    const diffs = maps.slice(1, view.arms.length).map((m) => m.map((v, i) => v - orig[i]));
    let dmax = 0;
    for (const d of diffs) for (const v of d) if (Number.isFinite(v) && Math.abs(v) > dmax) dmax = Math.abs(v);
    const broken = (m) => !m.some(Number.isFinite);
    const drawn = [
      ...names.map((name, i) => [`${name === 'target' ? 'target' : ARM_STYLE[name]?.label || name}${broken(maps[i]) ? ' (diverged)' : ''}`,
        maps[i], { min: lo, max: hi }]),
      ...diffs.map((d, i) => {
        let rms = 0;
        for (const v of d) rms += v * v;
        rms = Math.sqrt(rms / d.length);
        return [`${view.arms[i + 1]} − original (${Number.isFinite(rms) ? `rms ${rms.toPrecision(2)}` : 'not finite'})`, d,
          { min: -dmax, max: dmax, diverging: true }];
      }),
    ];
    if (cells?.key !== mapsKey()) prepareCells();
    q('[data-role="heatmaps"]').hidden = false;
    drawn.forEach(([title, values, opts], i) => {
      const { canvas, caption } = cells.figures[i];
      canvas.setAttribute('aria-label', `${title}, epoch ${epoch}`);
      caption.textContent = title;
      drawHeatmap(canvas, values, res, opts);
    });
  }

  // One figure per arm and the target, then one per arm's difference to the original.
  function mapsKey() { return view.arms.join(','); }
  function prepareCells() {
    const count = 2 * view.arms.length;
    const figures = Array.from({ length: count }, () => mapCell());
    for (const f of figures) {
      f.canvas.width = runMapsRes;
      f.canvas.height = runMapsRes;
    }
    q('[data-role="maps"]').replaceChildren(...figures.map((f) => f.figure));
    cells = { key: mapsKey(), figures };
  }
}

// Grids (name -> res×res values, row-major, first row = top) as JSON or as long CSV `map,row,col,x,y,value`
// on [-span, span]² (x to the right, y up).
function exportGrids(name, grids, res, span, extra, asCsv) {
  if (asCsv) {
    const rows = ['map,row,col,x,y,value'];
    const at = (i) => -span + (2 * span * i) / (res - 1);
    for (const [g, values] of Object.entries(grids)) {
      for (let r = 0; r < res; r++) for (let c = 0; c < res; c++) rows.push(`${JSON.stringify(g)},${r},${c},${at(c)},${at(res - 1 - r)},${values[r * res + c]}`);
    }
    download(`${name}.csv`, new Blob([rows.join('\n') + '\n'], { type: 'text/csv' }));
  } else {
    const out = { res, span, rows: 'row-major, first row at y = +span', ...extra, maps: Object.fromEntries(Object.entries(grids).map(([k, v]) => [k, Array.from(v)])) };
    download(`${name}.json`, new Blob([JSON.stringify(out)], { type: 'application/json' }));
  }
}

// An empty map figure (canvas and caption), or one drawn with `values` when given.
function mapCell(title, values, res, opts) {
  const figure = document.createElement('figure');
  figure.className = 'map';
  const canvas = document.createElement('canvas');
  canvas.setAttribute('role', 'img');
  const caption = document.createElement('figcaption');
  if (title !== undefined) {
    canvas.setAttribute('aria-label', title);
    caption.textContent = title;
    drawHeatmap(canvas, values, res, opts);
  }
  figure.append(canvas, caption);
  return values === undefined ? { figure, canvas, caption } : figure;
}

// ------------------------------------------------------------------------------------------------ dataset

export function createDataset(ctx) {
  const { q } = ctx;
  const view = curveView(ctx);
  const slice = new LinePlot(q('[data-plot="slice"]'), { xlabel: 'step along direction 1', ylabel: 'training loss', logy: true });
  const plots = { ...view.plots, slice };
  let summary = null;
  ctx.lastSummary = () => summary;
  wireExports(ctx, plots, 'dataset');
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
      : `${final ? 'Final' : `Epoch ${epoch}:`} test losses — ${view.arms.map((a) => `${ARM_STYLE[a]?.label || a} ${fmt(finalOf(view, a))}`).join('; ')}. ` +
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
        `${ARM_STYLE[a]?.label || a}${i ? ` (deviation ${deviation[i].toExponential(1)})` : ''}`,
        Float64Array.from(losses[i], (v) => Math.log10(Math.max(v, 1e-300))), res, { min: lo, max: hi }));
      q('[data-role="ls-maps"]').replaceChildren(...cells);
      const mid = (res - 1) / 2;
      const span = data.span;
      slice.set(arms.map((a, i) => ({
        name: a, label: ARM_STYLE[a]?.label || a, color: ARM_STYLE[a]?.color, dash: ARM_STYLE[a]?.dash,
        points: Array.from({ length: res }, (_, c) => [-span + (2 * span * c) / (res - 1), losses[i][mid * res + c]]),
      })));
      const ci = arms.indexOf('compressed');
      const ni = arms.indexOf('naive');
      const better = ci > 0 && ni > 0 ? ` — the compressed set's is ${(deviation[ni] / deviation[ci]).toFixed(0)}× closer than the naive subset's` : '';
      lsStatus.textContent = `${res}×${res} grid, ${arms.length} data sets in ${(ms / 1000).toFixed(2)} s; deviation from the full set's landscape: ` +
        arms.map((a, i) => (i ? `${a} ${deviation[i].toExponential(1)}` : '')).filter(Boolean).join(', ') + better;
      q('.landscape').dataset.deviation = JSON.stringify(deviation);
    },
  };
}
