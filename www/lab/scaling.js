// Scaling laws (Fig. 5): final test loss against size for the original and the compressed arm, points
// arriving one size × seed at a time, with the fitted power laws L ∝ size^-α drawn once known.

import { plotFigure } from './panel.js';
import { ARM_STYLE, LinePlot, armLabel, armSeries } from './plot.js';
import { wireExports } from './exports.js';

// "± se", or nothing when the fit has too few points for a standard error (serialised as null).
const pm = (se) => (Number.isFinite(se) ? ` ± ${se.toFixed(3)}` : '');

export function createScaling(ctx) {
  const { q, section } = ctx;
  const form = section.querySelector('form');
  const law = new LinePlot(q('[data-plot="law"]'), { xlabel: 'size trained on (d or d′)', ylabel: 'final test loss', logx: true, logy: true, padx: true, legend: 'bl' });
  let rows = [];
  let summary = null;

  form.elements.axis.addEventListener('change', () => {
    const p = ctx.presets?.scaling?.[`${form.elements.axis.value}-quick`];
    if (!p) return;
    form.elements.sizes.value = p.sizes.join(',');
    for (const f of ['seeds', 'epochs', 'order', 'n_samples', 'lr']) form.elements[f].value = String(p[f]);
  });
  wireExports(ctx, { law }, 'scaling', () => ({ rows, summary }));

  function render() {
    const series = [
      armSeries('original', rows.map((r) => [r.d, r.original]), { label: `${armLabel('original').replace(' (wide)', '')} (size d)`, line: false, markers: true }),
      armSeries('compressed', rows.map((r) => [r.d_prime, r.compressed]), { label: 'compressed (size d′)', line: false, markers: true }),
    ];
    if (summary) {
      for (const [name, fit, xs] of [['original', summary.alpha_original, rows.map((r) => r.d)], ['compressed', summary.alpha_compressed, rows.map((r) => r.d_prime)]]) {
        if (!fit) continue;
        const x0 = Math.min(...xs), x1 = Math.max(...xs);
        const y = (x) => Math.exp(fit.intercept) * x ** -fit.alpha;
        series.push({ name: `${name} fit`, label: `fit ${name}: α = ${fit.alpha.toFixed(3)}${pm(fit.stderr)}`, color: ARM_STYLE[name].color, dash: ARM_STYLE[name === 'original' ? 'naive' : 'compressed'].dash, width: 1.5, points: [[x0, y(x0)], [x1, y(x1)]] });
      }
    }
    law.set(series);
  }

  function describe() {
    const alt = q('[data-role="alt"]');
    if (!rows.length) { alt.textContent = 'No run yet.'; return; }
    alt.textContent = summary
      ? `Fitted exponents: original α = ${summary.alpha_original?.alpha.toFixed(3) ?? '–'}, compressed α = ${summary.alpha_compressed?.alpha.toFixed(3) ?? '–'}, ratio ${summary.ratio?.toFixed(2) ?? '–'} (the paper: about 2).`
      : `${rows.length} runs finished; the fit appears when all are done.`;
  }

  return {
    config(v) {
      const sizes = v.sizes.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
      if (!sizes.length || sizes.some((s) => !Number.isSafeInteger(s) || s < 2 || s > 1 << 20)) {
        throw new Error('sizes must be a comma-separated list of whole numbers between 2 and 1048576');
      }
      if (sizes.length > 16) throw new Error('at most 16 sizes');
      return { kind: 'scaling', config: { axis: v.axis, sizes, seeds: v.seeds, order: v.order, epochs: v.epochs, n_samples: v.n_samples, lr: v.lr } };
    },
    shareable: () => true,
    reset() {
      rows = [];
      summary = null;
      render();
      describe();
      q('[data-role="facts"]').replaceChildren();
    },
    started(info) {
      return `training ${info.total} size × seed pairs, two arms each…`;
    },
    progress(items) {
      if (!items.length) return;
      rows = rows.concat(items);
      render();
      describe();
    },
    done(s) {
      summary = s;
      render();
      describe();
      const dl = q('[data-role="facts"]');
      const item = (k, v) => {
        const div = document.createElement('div');
        const dt = document.createElement('dt');
        dt.textContent = k;
        const dd = document.createElement('dd');
        dd.textContent = v;
        div.append(dt, dd);
        return div;
      };
      const a = (f) => (f ? `${f.alpha.toFixed(3)}${pm(f.stderr)}` : '–');
      dl.replaceChildren(item('α original', a(s.alpha_original)), item('α compressed', a(s.alpha_compressed)),
        item('ratio', s.ratio != null ? s.ratio.toFixed(2) : '–'), item('runs', String(rows.length)));
      return 'done';
    },
  };
}

// The tab (lab/panel.js): its button, its settings (the default preset's values) and its results' markup.
export const tab = {
  kind: 'scaling',
  label: 'Scaling laws',
  fields: `
      <label data-field="axis"><span>axis</span> <select name="axis">
        <option value="data" selected>data (Fig. 5a)</option><option value="width">width (Fig. 5b)</option></select></label>
      <label data-field="sizes"><span>sizes <var>d</var></span> <input name="sizes" type="text" value="256,512,1024,2048,4096" spellcheck="false"></label>
      <label data-field="seeds"><span>seeds</span> <input name="seeds" type="number" min="1" max="100" step="1" value="3"></label>
      <label data-field="epochs"><span>epochs</span> <input name="epochs" type="number" min="1" max="100000" step="1" value="1000"></label>
      <label data-field="order"><span>order <var>k</var></span> <input name="order" type="number" min="0" max="12" step="1" value="6"></label>
      <label data-field="n_samples"><span>test / train samples</span> <input name="n_samples" type="number" min="1" step="1" value="4000"></label>
      <label data-field="lr"><span>learning rate (AdamW)</span> <input name="lr" type="number" min="0" step="any" value="0.001"></label>`,
  body: `
  <div class="result wide">
    ${plotFigure('law', {
      describedby: 'scaling-alt',
      caption: `Final test loss against the size actually trained on (<var>d</var> for the original, <var>d′</var> = [16√<var>d</var>]
      for the compressed), log–log, with fitted power laws.`,
      exports: ['csv', 'json', 'png'],
    })}
    <div class="numbers"><dl class="facts" data-role="facts"></dl></div>
  </div>
  <p class="alt" id="scaling-alt" data-role="alt" aria-live="polite">No run yet.</p>
  <div class="explain">
    <h3>What you see</h3>
    <p>If a model trained on <var>d</var> objects reaches loss <var>L</var> ∝ <var>d</var><sup>−α</sup>, and <var>d</var> objects
      can be compressed to <var>d′</var> = 16√<var>d</var> with negligible error, then the compressed objects reach the same
      loss with <var>L</var> ∝ <var>d′</var><sup>−2α</sup>: the exponent doubles. With polylog compression
      <var>d′</var> = O(log<sup><var>m</var></sup> <var>d</var>) any power law becomes a stretched exponential.</p>
    <p>The data axis compresses teacher–student data sets; the width axis compresses networks' neurons (the lottery
      ticket at every width). The paper finds α 0.683 → 1.271 (data) and 0.308 → 0.607 (width), ratios near 2.
      The page's preset is small; the CLI runs the paper's sizes: <code>moment-lab scaling --axis data --preset paper</code>.</p>
  </div>
  <details class="exercise"><summary>Exercise: is the speed-up really quadratic?</summary>
    <ol><li>Run the data axis. Read off α for both arms and their ratio. What ratio does <var>d′</var> = 16√<var>d</var> predict?</li>
      <li>Lower <var>k</var> to 2. Which arm's exponent changes, and why does the fit get worse at the largest sizes?</li></ol></details>`,
  create: createScaling,
};
