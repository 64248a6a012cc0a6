// Scaling laws (Fig. 5): final test loss against size for the original and the compressed arm, points
// arriving one size × seed at a time, with the fitted power laws L ∝ size^-α drawn once known.

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
