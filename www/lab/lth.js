// The dynamical lottery ticket (Fig. 4): the wide network vs its moment-matched compression vs same-width
// random and magnitude sub-networks, their curves live, and heat maps of each arm's function at any recorded
// epoch.

import { armLabel, drawHeatmap } from './plot.js';
import { curveView, epochSlider, factsList, fmt, mapCell, presetApplier, ratio, runAlt, throttled } from './curves.js';
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
