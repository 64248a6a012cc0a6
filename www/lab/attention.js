// The dynamical lottery ticket in attention (Fig. 7): a wide attention layer, its moment-matched
// compression and a random subset of its heads, trained on the same in-context regression batches; their
// curves live, and the picture a reader understands: for one fixed episode, every layer's prediction y(x*)
// across x* ∈ [0, 1] against the true function, at any epoch.

import { LinePlot, PALETTE, armSeries } from './plot.js';
import { curveView, epochSlider, factsList, fmt, presetApplier, ratio, runAlt, throttled } from './curves.js';
import { wireExports } from './exports.js';

export function createAttention(ctx) {
  const { q } = ctx;
  const view = curveView(ctx);
  const picturePlot = new LinePlot(q('[data-plot="picture"]'), { xlabel: 'query x*', ylabel: 'prediction y(x*)' });
  const plots = { ...view.plots, picture: picturePlot };
  wireExports(ctx, plots, 'attention', () => ({ summary }));
  let summary = null;
  let episode = null;   // {context: [[x, y]…], xs, truth}
  // The picture's predictions, [{epoch, data}] oldest first (data: arms × points, f32).
  const showFrame = (frame) => {
    if (!episode) return;
    const n = episode.xs.length;
    const series = [
      { name: 'truth', label: 'true function f', color: PALETTE.green, dash: [], points: episode.xs.map((x, j) => [x, episode.truth[j]]) },
      { name: 'context', label: 'context points (x, f(x) + noise)', color: '#555', line: false, markers: true, points: episode.context },
      ...view.arms.map((a, k) => armSeries(a, episode.xs.map((x, j) => [x, frame.data[k * n + j]]))),
    ];
    picturePlot.set(series);
    q('[data-role="picture"]').hidden = false;
  };
  const frames = epochSlider(q('[data-role="picture-epoch"]'), q('[data-role="picture-epoch-label"]'), showFrame);

  const applyPreset = presetApplier(ctx, () => ctx.presets?.attention, {
    seed: (p) => p.seed, heads: (p) => p.heads, target: (p) => p.target, order: (p) => p.order, epochs: (p) => p.epochs,
    lr: (p) => p.lr, batch_size: (p) => p.batch_size, rescale: (p) => p.rescale,
  });

  const describeLive = throttled(() => describe(false), 2000);
  function describe(final) {
    q('[data-role="alt"]').textContent = runAlt(view, final, { compressed: 'compressed layer', naive: 'random heads' });
  }

  return {
    applyPreset,
    config(v) {
      const base = ctx.presets?.attention?.[v.preset] || {};
      return {
        kind: 'attention',
        config: {
          ...base, seed: v.seed, heads: v.heads, target: v.target, order: v.order, epochs: v.epochs,
          lr: v.lr, batch_size: v.batch_size, rescale: !!v.rescale,
        },
      };
    },
    shareable: () => true,
    reset() {
      summary = null;
      episode = null;
      frames.clear();
      view.reset([]);
      picturePlot.set([]);
      q('[data-role="picture"]').hidden = true;
      factsList(q('[data-role="facts"]'), []);
      describe(false);
    },
    started(info) {
      view.started(info, describe);
      episode = {
        context: info.picture.context,
        xs: Array.from(info.picture.xs),
        truth: Array.from(info.picture.truth),
      };
      frames.clear();
      frames.add(info.frames);   // the initial layers' predictions
      return `training ${info.arms.length} attention layers (${info.config.heads} and ${info.config.target} heads)…`;
    },
    progress(items, _fraction, { frames: recorded }) {
      view.progress(items, describeLive);
      frames.add(recorded);
    },
    done(s, _extra, ms, setupMs) {
      summary = s;
      describe(true);
      const at = (list, e) => list.find(([epoch]) => epoch === e)?.[1];
      const rows = [];
      for (const [e] of s.ratio_compressed) {
        rows.push([`epoch ${e}: compressed / original · naive / original`, `${ratio(at(s.ratio_compressed, e))} · ${ratio(at(s.ratio_naive, e))}`]);
      }
      const o = s.arms.find((a) => a.arm === 'original');
      factsList(q('[data-role="facts"]'), [
        ['final test loss, original', fmt(o?.final_test)],
        ...rows,
        ['gradient rescale 1/c_h', s.rescale ? 'on (Definition 5)' : "off (the authors' code)"],
        ['head moment residual', Number.isFinite(s.compression_residual) ? s.compression_residual.toExponential(1) : '–'],
        ['set-up incl. compression', `${(setupMs / 1000).toFixed(2)} s`],
        ['training, all arms', `${((ms - setupMs) / 1000).toFixed(1)} s`],
        ...s.arms.filter((a) => a.diverged).map((a) => [`${a.arm} diverged`, a.diverged]),
      ]);
      return `done: ${s.epochs_done} epochs`;
    },
  };
}
