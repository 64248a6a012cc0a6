// Theory: the N(m,k) table and the error bounds of Theorems 4 and 7 as curves that follow the controls
// (closed-form, drawn on the page), plus a measured Fig. 2 run whose points fill in as the worker finishes
// trials. Constants of the O(·) bounds are set to 1: the curves show shapes and rates, not values.

import { plotFigure } from './panel.js';
import { LinePlot, PALETTE } from './plot.js';
import { wireExports } from './exports.js';

const KCOLOURS = [PALETTE.blue, PALETTE.vermillion, PALETTE.green, PALETTE.purple, PALETTE.orange, PALETTE.sky];

export function binomial(n, k) {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return Math.round(r);
}

const factorial = (m) => (m <= 1 ? 1 : m * factorial(m - 1));
const logspace = (a, b, n) => Array.from({ length: n }, (_, i) => a * (b / a) ** (i / (n - 1)));

export function createTheory(ctx) {
  const { q, section } = ctx;
  const form = section.querySelector('form');
  const plots = {
    bound: new LinePlot(q('[data-plot="bound"]'), { xlabel: 'd′', ylabel: 'error bound 𝓔/d', logx: true, logy: true, legend: 'bl' }),
    rate: new LinePlot(q('[data-plot="rate"]'), { xlabel: 'd', ylabel: 'd′ needed for ε = 1/d', logx: true, logy: true, legend: 'tl' }),
    fig2: new LinePlot(q('[data-plot="fig2"]'), { xlabel: 'd', ylabel: 'mean relative error', logx: true, logy: true, padx: true, legend: 'bl', empty: 'press Run' }),
  };
  wireExports(ctx, plots, 'theory', () => ({ trials, summary }));

  let trials = [];
  let summary = null;

  function curves() {
    let m = Number(form.elements.m.value), k = Number(form.elements.k.value);
    const d = Number(form.elements.d.value), rho = Number(form.elements.rho.value);
    if (![m, k, d, rho].every(Number.isFinite) || m < 1 || m > 8 || k < 0 || k > 20 || d < 10 || d > 1e12 || !(rho > 0)) return;
    m = Math.round(m); k = Math.round(k);
    const n = binomial(m + k, k);
    const xs = logspace(Math.max(1, n), Math.max(n + 1, d), 120);
    const fixed = (kk) => xs.map((x) => [x, x ** (1 - (kk + 1) / m)]);
    // Below 1e-30 the optimal-order curve would only stretch the axis.
    const optimal = xs.map((x) => [x, x ** (1 - 1 / m) * Math.exp(-((factorial(m) * rho * x) ** (1 / m)) / Math.E)]).filter(([, y]) => y > 1e-30);
    plots.bound.set([
      { name: `k=${k}`, label: `fixed k = ${k}`, color: PALETTE.blue, dash: [6, 3], points: fixed(k) },
      ...(k > 1 ? [{ name: `k=${k - 1}`, label: `fixed k = ${k - 1}`, color: PALETTE.sky, dash: [2, 3], points: fixed(k - 1) }] : []),
      { name: 'optimal k', label: 'optimal k (Theorem 7)', color: PALETTE.black, points: optimal },
    ]);
    const ds = logspace(10, Math.max(100, d), 120);
    const series = [
      { name: 'd', label: "no compression (d′ = d)", color: '#999', points: ds.map((x) => [x, x]) },
      { name: 'polylog', label: 'optimal k: log^m(d/ε)', color: PALETTE.black, points: ds.map((x) => [x, Math.log(x * x) ** m]) },
    ];
    if (k > m - 1) series.push({ name: `k=${k}`, label: `fixed k = ${k}: (d/ε)^(m/(k−m+1))`, color: PALETTE.blue, dash: [6, 3], points: ds.map((x) => [x, (x * x) ** (m / (k - m + 1))]) });
    plots.rate.set(series);
    const exp = 1 - (k + 1) / m;
    q('[data-role="alt"]').textContent = `m = ${m}, k = ${k}: N(m,k) = ${n} moments. At fixed order the bound falls like d′^${exp.toFixed(2)}` +
      `${exp >= 0 ? ' — it does not fall at all: raise k above m − 1' : ''}; with the order chosen optimally it falls like exp(−c d′^(1/${m})), so d′ = O(log^${m} d) suffices.`;
    table(m, k);
  }

  function table(m0, k0) {
    const head = document.createElement('tr');
    head.append(th('m \\ k', 'col'));
    for (let k = 0; k <= 10; k++) head.append(th(String(k), 'col', k === k0));
    q('[data-role="ntable"] thead').replaceChildren(head);
    const rows = [];
    for (let m = 1; m <= 8; m++) {
      const tr = document.createElement('tr');
      tr.append(th(String(m), 'row', m === m0));
      for (let k = 0; k <= 10; k++) {
        const cell = document.createElement('td');
        cell.textContent = binomial(m + k, k).toLocaleString('en');
        if (m === m0 || k === k0) cell.className = m === m0 && k === k0 ? 'mark' : 'band';
        tr.append(cell);
      }
      rows.push(tr);
    }
    q('[data-role="ntable"] tbody').replaceChildren(...rows);
  }

  function th(text, scope, mark) {
    const c = document.createElement('th');
    c.scope = scope;
    c.textContent = text;
    if (mark) c.className = 'mark';
    return c;
  }

  function renderFig2() {
    const byK = new Map();
    for (const t of trials) {
      if (!byK.has(t.k)) byK.set(t.k, new Map());
      const m = byK.get(t.k);
      if (!m.has(t.d)) m.set(t.d, []);
      m.get(t.d).push(t.error);
    }
    plots.fig2.set([...byK.keys()].sort((a, b) => a - b).map((k, i) => {
      const slope = summary?.slopes?.find((s) => s.k === k)?.fit;
      return {
        name: `k=${k}`, label: `k = ${k}${slope ? `: slope ${(-slope.alpha).toFixed(2)}` : ''}`, color: KCOLOURS[i % KCOLOURS.length],
        dash: i % 2 ? [6, 3] : [], markers: true,
        points: [...byK.get(k).entries()].sort((a, b) => a[0] - b[0]).map(([d, es]) => [d, es.reduce((s, e) => s + e, 0) / es.length]),
      };
    }));
  }

  form.addEventListener('input', curves);
  curves();

  return {
    config(v) {
      const m = v.m;
      // Orders whose N(m,k) points fit in the smallest target, d′ = 50 (k = 1 always does: m ≤ 8).
      const orders = [1, 2, 3, 4].filter((k) => binomial(m + k, k) <= 50);
      return { kind: 'fig2', config: { dims: [m], orders, sizes: [500, 1000, 2000, 4000, 8000], trials: v.trials, ratio: 0.1, seed: 0 } };
    },
    shareable: () => true,
    reset() {
      trials = [];
      summary = null;
      renderFig2();
      q('[data-role="facts"]').replaceChildren();
    },
    started(info) {
      return `compressing ${info.total} clouds…`;
    },
    progress(items) {
      if (!items.length) return;
      trials = trials.concat(items);
      renderFig2();
    },
    done(s) {
      summary = s;
      renderFig2();
      const dl = q('[data-role="facts"]');
      dl.replaceChildren(...s.slopes.filter((x) => x.fit).map((x) => {
        const div = document.createElement('div');
        const dt = document.createElement('dt');
        dt.textContent = `m = ${x.m}, k = ${x.k}: error slope`;
        const dd = document.createElement('dd');
        dd.textContent = `${(-x.fit.alpha).toFixed(2)}${Number.isFinite(x.fit.stderr) ? ` ± ${x.fit.stderr.toFixed(2)}` : ''} (guide −${x.guide.toFixed(2)}${x.authors != null ? `, authors −${x.authors.toFixed(2)}` : ''})`;
        div.append(dt, dd);
        return div;
      }));
      return 'done';
    },
  };
}

// The tab (lab/panel.js): its button, its settings (the default preset's values) and its results' markup.
export const tab = {
  kind: 'theory',
  label: 'Theory',
  fields: `
      <label data-field="m"><span>dimension <var>m</var></span> <input name="m" type="number" min="1" max="8" step="1" value="2"></label>
      <label data-field="k"><span>order <var>k</var></span> <input name="k" type="number" min="0" max="20" step="1" value="5"></label>
      <label data-field="d"><span>objects <var>d</var></span> <input name="d" type="number" min="10" max="1e12" step="1" value="100000"></label>
      <label data-field="rho"><span>radius of convergence ρ</span> <input name="rho" type="number" min="0.01" max="100" step="any" value="1"></label>
      <label data-field="trials"><span>Fig. 2 trials</span> <input name="trials" type="number" min="1" max="20" step="1" value="3"></label>`,
  body: `
  <div class="result wide">
    ${plotFigure('bound', {
      describedby: 'theory-alt',
      caption: `Relative error bound 𝓔/<var>d</var> against <var>d′</var>: fixed order <var>k</var>,
      (<var>d′</var>)<sup>1−(<var>k</var>+1)/<var>m</var></sup> (Theorem 4), and the optimal order,
      (<var>d′</var>)<sup>1−1/<var>m</var></sup> exp[−(<var>m</var>! ρ <var>d′</var>)<sup>1/<var>m</var></sup>/e] (Theorem 7).`,
    })}
    ${plotFigure('rate', {
      label: 'objects needed for a given error, against d',
      caption: `<var>d′</var> needed for error ε = 1/<var>d</var>: fixed <var>k</var>, (<var>d</var>/ε)<sup><var>m</var>/(<var>k</var>−<var>m</var>+1)</sup>,
      against polylog, log<sup><var>m</var></sup>(<var>d</var>/ε) (constants set to 1).`,
    })}
  </div>
  <p class="alt" id="theory-alt" data-role="alt" aria-live="polite"></p>
  <div class="table-wrap">
    <table data-role="ntable"><caption>N(<var>m</var>,<var>k</var>) = C(<var>m</var>+<var>k</var>, <var>k</var>): moments to match, and the
      largest number of points Carathéodory needs. The row and column of your <var>m</var> and <var>k</var> are marked.</caption>
      <thead></thead><tbody></tbody></table>
  </div>
  <h3>Measured: the compression error of the Fig. 2 function</h3>
  <p class="small">Press Run to compress uniform clouds in [−1,1]<sup><var>m</var></sup> of growing <var>d</var> to
    <var>d′</var> = 0.1 <var>d</var> at orders <var>k</var> = 1…4 and measure the error of
    <var>f</var> = Σ<sub>i</sub> <var>c<sub>i</sub></var> σ(Σ<sub>a</sub> <var>x<sub>ia</sub></var>) (the symmetric sigmoid of §8.2); the
    points fill in as trials finish. Theory predicts slopes near (<var>k</var>+1)/<var>m</var> + 0.5.</p>
  <div class="result wide">
    ${plotFigure('fig2', {
      label: 'measured compression error against d',
      caption: `Mean relative error against <var>d</var>, one line per <var>k</var>.`,
      exports: ['csv', 'json', 'png'],
    })}
    <div class="numbers"><dl class="facts" data-role="facts"></dl></div>
  </div>
  <div class="explain">
    <h3>The theorem in two paragraphs</h3>
    <p>A symmetric function <var>φ</var>(θ) = Σ<sub>i</sub> <var>c<sub>i</sub></var> <var>g</var>(<var>w<sub>i</sub></var>) of <var>d</var>
      objects with smooth <var>g</var> changes by at most the Taylor remainder when a cluster of diameter <var>r</var> is
      replaced by <var>N(m,k)</var> weighted points with the same moments: O(<var>r</var><sup><var>k</var>+1</sup>) per cluster.
      Removing objects one at a time from the smallest cluster of <var>N</var>+1 points, whose diameter is
      O(<var>N</var><sup>−1/<var>m</var></sup>), sums to 𝓔 = O(<var>d</var> <var>d′</var><sup>1−(<var>k</var>+1)/<var>m</var></sup>).</p>
    <p>Choosing the order with <var>d′</var> (<var>k</var><sub>opt</sub> ∝ <var>d′</var><sup>1/<var>m</var></sup>) makes the error
      fall like exp(−<var>c</var> <var>d′</var><sup>1/<var>m</var></sup>), so <var>d′</var> = O(log<sup><var>m</var></sup>(<var>d</var>/ε))
      objects suffice: polylogarithmic compression, and the lower bound shows it is optimal.</p>
  </div>`,
  create: createTheory,
};
