// The dynamical lottery ticket (Fig. 4): the wide network vs its moment-matched compression vs same-width
// random and magnitude sub-networks, their curves live, and heat maps of each arm's function at any recorded
// epoch.

import { armLabel, drawHeatmap } from './plot.js';
import { curveFigures, curveView, epochSlider, factsList, fmt, mapCell, presetApplier, ratio, runAlt, throttled } from './curves.js';
import { exportGrids, wireExports } from './exports.js';

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
  let cells = null;   // the map figures {key, figures: [{canvas, caption}]}, reused while the arms stay the same
  let runMapsRes = MAP_RES;   // the run's config.maps_res
  let initialMaps = null;     // the maps of 'started', drawn with the first progress
  wireExports(ctx, view.plots, 'lottery-ticket', () => ({ summary }));
  for (const asCsv of [false, true]) {
    q(`[data-role="maps-${asCsv ? 'csv' : 'json'}"]`).addEventListener('click', () => grids && exportGrids('lottery-ticket-functions', grids, mapsRes, 1, { epoch: shownEpoch, summary }, asCsv));
  }
  // Drawing waits for the next frame and draws only the newest request, so a burst of maps costs one draw.
  // The first time, the figures are made in one frame, shown in the next and drawn in the one after: each
  // frame stays short (a cold page took 60 ms when all three happened at once).
  let drawPending = null;
  const drawFrame = () => {
    const snap = drawPending;
    if (!snap || !maps.list.includes(snap)) {
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
  // The function maps of the run, [{epoch, data}] oldest first; the slider picks one, and follows the newest
  // while it is at the right end.
  const showSnapshot = (snap) => {
    // What the export buttons save follows the slider at once, not at the next frame.
    const n = runMapsRes * runMapsRes;
    const names = [...view.arms, 'target'];
    grids = Object.fromEntries(names.map((nm, k) => [nm, snap.data.subarray(k * n, (k + 1) * n)]));
    mapsRes = runMapsRes;
    shownEpoch = snap.epoch;
    if (drawPending === null) requestAnimationFrame(drawFrame);
    drawPending = snap;
  };
  const maps = epochSlider(q('[data-role="maps-epoch"]'), q('[data-role="maps-epoch-label"]'), showSnapshot);
  const addSnapshots = (list) => maps.add(list);
  const applyPreset = presetApplier(ctx, () => ctx.presets?.lth, {
    seed: (p) => p.seed, width: (p) => p.width, target: (p) => p.target, order: (p) => p.order, epochs: (p) => p.epochs,
    optimizer: (p) => p.optimizer, lr: (p) => p.lr, batch_size: (p) => p.batch_size, n_train: (p) => p.n_train,
    activation: (p) => p.activation, chart: (p) => p.chart,
  });

  const describeLive = throttled(() => describe(false), 2000);
  function describe(final) {
    q('[data-role="alt"]').textContent = runAlt(view, final, { compressed: 'compressed network', naive: 'naive sub-network' });
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
      maps.clear();
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
      maps.clear();
      // The epoch-0 maps wait for the first progress message: the start of a run is already a busy frame.
      initialMaps = info.maps || null;
      return `training ${info.arms.length} networks (width ${info.config.width} and ${info.config.target})…`;
    },
    progress(items, _fraction, { maps: recorded }) {
      view.progress(items, describeLive);
      if (initialMaps) {
        addSnapshots(initialMaps);
        initialMaps = null;
      }
      addSnapshots(recorded);
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
        ['neuron moment residual', Number.isFinite(s.compression_residual) ? s.compression_residual.toExponential(1) : '–'],
        ['set-up incl. compression', `${(setupMs / 1000).toFixed(2)} s`],
        ['training, all arms', `${((ms - setupMs) / 1000).toFixed(1)} s`],
        ...s.arms.filter((a) => a.diverged).map((a) => [`${a.arm} diverged`, a.diverged]),
      ]);
      // Runs that record no maps at the last epoch (all arms diverged early): the nets as they are now.
      if (maps.list.at(-1)?.epoch !== s.epochs_done) ctx.query('heatmaps', { res: runMapsRes });
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
      ...names.map((name, i) => [`${name === 'target' ? 'target' : armLabel(name)}${broken(maps[i]) ? ' (diverged)' : ''}`,
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

// The tab (lab/panel.js): its button, its settings (the default preset's values) and its results' markup.
export const tab = {
  kind: 'lth',
  label: 'Dynamical lottery ticket',
  fields: `
      <label data-field="preset"><span>preset</span> <select name="preset">
        <option value="quick" selected>quick (seconds)</option>
        <option value="demo-adamw">demo, AdamW 1e-4 (a minute or two; the arms separate)</option>
        <option value="demo">authors' laptop demo, SGD (the nets barely learn)</option>
        <option value="paper">paper (hours)</option>
      </select></label>
      <label data-field="seed"><span>seed</span> <input name="seed" type="number" min="0" step="1" value="42"></label>
      <label data-field="width"><span>width <var>d</var></span> <input name="width" type="number" min="1" max="100000" step="1" value="3000"></label>
      <label data-field="target"><span>compressed width <var>d′</var></span> <input name="target" type="number" min="1" step="1" value="500"></label>
      <label data-field="order"><span>order <var>k</var></span> <input name="order" type="number" min="0" max="12" step="1" value="5"></label>
      <label data-field="epochs"><span>epochs</span> <input name="epochs" type="number" min="1" max="100000" step="1" value="300"></label>
      <label data-field="optimizer"><span>optimiser</span> <select name="optimizer">
        <option value="sgd">SGD</option><option value="adam">Adam</option><option value="adamw" selected>AdamW</option>
        <option value="rprop">Rprop</option><option value="rmsprop">RMSprop</option></select></label>
      <label data-field="lr"><span>learning rate</span> <input name="lr" type="number" min="0" step="any" value="0.001"></label>
      <label data-field="batch_size"><span>batch size</span> <input name="batch_size" type="number" min="1" step="1" value="128"></label>
      <label data-field="n_train"><span>training samples</span> <input name="n_train" type="number" min="1" max="2000000" step="1" value="6000"></label>
      <label data-field="activation" title="ReLU is the paper's. tanh and sigmoid are the smooth activations of its Assumption 1; each costs an exponential and a division per neuron and sample, so they train several times slower than ReLU."><span>activation σ</span> <select name="activation">
        <option value="relu" selected>ReLU</option><option value="tanh">tanh</option><option value="sigmoid">sigmoid</option></select></label>
      <label data-field="chart" title="The coordinates in which the neurons' moments are matched. Raw: the paper's (v, w, b). Scale and direction (ReLU only): a = v·|(w,b)|, u = (w,b)/|(w,b)|; matches the starting function better but forgets |(w,b)|, which training depends on."><span>neuron coordinates</span> <select name="chart">
        <option value="raw" selected>(v, w, b), paper</option><option value="homogeneous">(a, u), ReLU only</option></select></label>`,
  body: `
  ${curveFigures('lth', {
    test: `Test loss per epoch (log scale), every arm trained on the same mini-batches.`,
    train: `Training loss per epoch.`,
  })}
  <div class="heatmaps" data-role="heatmaps" hidden>
    <h3>The functions the networks compute</h3>
    <p class="maps-epoch"><label>at <input type="range" data-role="maps-epoch" min="0" max="0" step="1" value="0" disabled
      aria-label="epoch of the maps"></label> <output data-role="maps-epoch-label" aria-live="off">epoch 0</output>
      <span class="small">— drag to any recorded epoch; at the right end the maps follow the run.</span></p>
    <div class="maps" data-role="maps"></div>
    <p class="exports"><button type="button" class="link" data-role="maps-json">maps as JSON</button>
      <button type="button" class="link" data-role="maps-csv">maps as CSV</button></p>
    <p class="small">Top: each network's output on [−1,1]²; bottom: its difference to the original network
      (blue negative, orange positive, one scale for all). The target is J<sub>6</sub>(20<var>r</var>) cos 6θ.</p>
  </div>
  <div class="explain">
    <h3>What you see</h3>
    <p>A two-layer network <var>f</var>(<var>x</var>) = Σ<sub>j</sub> <var>v<sub>j</sub></var> σ(<var>w<sub>j</sub></var>·<var>x</var> + <var>b<sub>j</sub></var>)
      is a symmetric function of its neurons θ<sub>j</sub> = (<var>v<sub>j</sub></var>, <var>w<sub>j</sub></var>, <var>b<sub>j</sub></var>) ∈ R<sup>4</sup>,
      and so is its whole gradient-descent trajectory. Compressing the neurons at initialisation by moment matching
      gives weights <var>c<sub>j</sub></var>; the narrow network uses activation × <var>c<sub>j</sub></var> and gradient × 1/<var>c<sub>j</sub></var>
      (exactly what a neuron repeated <var>c<sub>j</sub></var> times would get), and then follows the wide network's
      curve — the <em>dynamical lottery ticket</em> (Theorem 5).</p>
    <p>The baselines have the same width: the first <var>d′</var> neurons (a random sub-network, as in the paper)
      and the <var>d′</var> neurons of largest |<var>v<sub>j</sub></var>|·‖<var>w<sub>j</sub></var>‖ (magnitude pruning).
      They start from a different function and train to a different, worse one. The gap between the black and the
      blue curve is the compression error; it shrinks as <var>k</var> and <var>d′</var> grow.</p>
    <p>The heat maps show the same from the side of the functions. Drag their slider to epoch 0: before any
      training the compressed network already computes almost the wide network's function (its difference map is
      pale), while the random and pruned sub-networks compute other functions. Then drag through the run: the
      compressed network's difference stays about as small as it started, the others' stay several times larger
      (quick preset: rms 0.014 at epoch 0 and at the end, against 0.037 and 0.036 for the random sub-network).</p>
    <p><em>Which demo?</em> The authors' laptop demo (width 5000 → 1000, SGD 1e-3, 1000 epochs) is kept for
      fidelity, but with it the wide network ends at about the loss of the constant predictor and nothing separates
      the arms. The same demo with AdamW 1e-4 (the optimiser of the paper's Fig. 4c) learns the target: the
      compressed network ends near the wide one and the random sub-network about 1.7× above it
      (docs/RESULTS.md, “demo preset with AdamW 1e-4”).</p>
    <p><em>Neuron coordinates.</em> The moments are those of the neurons (<var>v</var>, <var>w</var>, <var>b</var>), as in the
      paper. For ReLU you can match them in scale and direction instead, <var>a</var> = <var>v</var>‖(<var>w</var>, <var>b</var>)‖ and
      <var>u</var> = (<var>w</var>, <var>b</var>)/‖(<var>w</var>, <var>b</var>)‖: a ReLU neuron is <var>a</var>·relu(<var>u</var>·(<var>x</var>, 1)),
      linear in <var>a</var> with its kink set by <var>u</var> alone, and the starting gap (“initial test loss” below the plot)
      shrinks several-fold. But these coordinates forget ‖(<var>w</var>, <var>b</var>)‖, which the output ignores and
      gradient descent does not: they match the function, not necessarily the dynamics, and depending on the run the
      compressed curve ends closer to the original's or further from it. Try both.</p>
  </div>
  <details class="exercise"><summary>Exercise: when does the ticket stop winning?</summary>
    <ol><li>Lower <var>k</var> from 5 to 1, keeping everything else. At which <var>k</var> does the blue curve leave the
      black one at the start? Why there? (Hint: N(4,k) and the Taylor remainder of a ReLU network.)</li>
      <li>Switch to SGD with learning rate 0.001: the differences between the arms change. Which arms converge to
      similar losses, and which one keeps following the original?</li>
      <li>With <var>k</var> = 1, compare the difference maps at epoch 0 and at the end. Where on the square does the
      compressed network's error sit, and does training remove it or carry it along?</li></ol></details>`,
  create: createLth,
};
