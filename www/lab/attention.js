// The dynamical lottery ticket in attention (Fig. 7): a wide attention layer, its moment-matched
// compression and a random subset of its heads, trained on the same in-context regression batches; their
// curves live, and the picture a reader understands: for one fixed episode, every layer's prediction y(x*)
// across x* ∈ [0, 1] against the true function, at any epoch.

import { plotFigure } from './panel.js';
import { LinePlot, PALETTE, armSeries } from './plot.js';
import { curveFigures, curveView, epochSlider, factsList, fmt, presetApplier, ratio, runAlt, throttled } from './curves.js';
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

// The tab (lab/panel.js): its button, its settings (the default preset's values) and its results' markup.
export const tab = {
  kind: 'attention',
  label: 'Lottery ticket in attention',
  title: 'The lottery ticket in attention',
  fields: `
      <label data-field="preset"><span>preset</span> <select name="preset">
        <option value="quick" selected>quick (seconds)</option>
        <option value="demo">demo (a quarter of the paper's heads)</option>
        <option value="paper">paper (minutes)</option>
      </select></label>
      <label data-field="seed"><span>seed</span> <input name="seed" type="number" min="0" step="1" value="42"></label>
      <label data-field="heads"><span>heads <var>H</var></span> <input name="heads" type="number" min="1" max="20000" step="1" value="1000"></label>
      <label data-field="target"><span>compressed heads <var>H′</var></span> <input name="target" type="number" min="1" step="1" value="200"></label>
      <label data-field="order"><span>order <var>k</var></span> <input name="order" type="number" min="0" max="6" step="1" value="3"></label>
      <label data-field="epochs"><span>epochs</span> <input name="epochs" type="number" min="1" max="10000" step="1" value="20"></label>
      <label data-field="lr"><span>learning rate (Adam)</span> <input name="lr" type="number" min="0" step="any" value="0.0001"></label>
      <label data-field="batch_size"><span>batch size</span> <input name="batch_size" type="number" min="1" max="4096" step="1" value="256"></label>
      <label data-field="rescale" class="check" title="Multiply the compressed heads' gradients by 1/c_h, as a head repeated c_h times would get (Definition 5). Off: the authors' code, which leaves the factor to Adam's near scale-invariance."><span>gradient × 1/c<sub>h</sub></span> <input name="rescale" type="checkbox" checked></label>`,
  body: `
  ${curveFigures('attention', {
    test: `Test loss per epoch (log scale) on fresh batches of episodes (4 in the quick preset, 10 in the paper's), the same for every layer; 5 training mini-batches an epoch.`,
    train: `Training loss per epoch.`,
  })}
  <div class="picture" data-role="picture" hidden>
    <h3>What the layers predict for one episode</h3>
    <p class="maps-epoch"><label>at <input type="range" data-role="picture-epoch" min="0" max="0" step="1" value="0" disabled
      aria-label="epoch of the picture"></label> <output data-role="picture-epoch-label" aria-live="off">epoch 0</output>
      <span class="small">— drag to any epoch; at the right end the picture follows the run.</span></p>
    ${plotFigure('picture', {
      label: "each layer's prediction across the query x* for one fixed episode, with the true function and the context points",
      caption: `One fixed episode: its 8 context points, the true piecewise-linear function, and each layer's
      prediction for a query <var>x*</var> anywhere in [0, 1].`,
    })}
  </div>
  <div class="explain">
    <h3>What you see</h3>
    <p>One causal attention layer with <var>H</var> heads of dimension 2 reads a sequence of 17 numbers
      <var>x</var><sub>1</sub>, <var>y</var><sub>1</sub>, …, <var>x</var><sub>8</sub>, <var>y</var><sub>8</sub>, <var>x*</var>:
      eight noisy samples of a random piecewise-linear function <var>f</var> and a query. Its output at the last
      position is its guess of <var>f</var>(<var>x*</var>); it learns to regress in context. The layer is a sum over
      heads, so it is a symmetric function of the heads θ<sub><var>h</var></sub> = (<var>W<sub>q</sub></var>,
      <var>W<sub>k</sub></var>, <var>W<sub>v</sub></var>, <var>W<sub>o</sub></var>) ∈ R<sup>8</sup>, exactly like a
      wide network of its neurons.</p>
    <p>Compressing the heads at initialisation by moment matching (order <var>k</var> = 3 keeps all
      N(8, 3) = 165 moments) gives weights <var>c<sub>h</sub></var>: the narrow layer multiplies head <var>h</var>'s
      context by <var>c<sub>h</sub></var> and its gradient by 1/<var>c<sub>h</sub></var>, and then trains like the wide
      one — the dynamical lottery ticket (the paper's Fig. 7). <var>H′</var> heads drawn at random start from a
      different function and lag behind. The picture below the curves shows it for one episode: drag its slider
      to epoch 0 and the compressed layer's guess lies on the wide layer's, the random heads' does not.</p>
    <p><em>Gradient × 1/<var>c<sub>h</sub></var>.</em> The authors' code leaves this factor out and relies on
      Adam, whose steps hardly depend on a gradient's scale. Untick it to see that variant: with Adam the curves
      barely move.</p>
  </div>`,
  create: createAttention,
};
