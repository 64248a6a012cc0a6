// "Compress a cloud": d points (random normal, or the user's CSV), compressed to d′ points that keep every
// moment up to order k. Draws the cloud with the kept points as discs of area ∝ weight, and the moment table.

import { NOT_FINITE_TITLE, finite, fmtCount, fmtMs, fmtNum, fmtPrec, fmtSci } from './format.js';
import { canvasToPNG, prepareCanvas } from './plot.js';
import { validateControl } from './state.js';
import { csvUpload } from './upload.js';

const MAX_ANIMATED = 50000;
// The N(m,k) hint waits until typing pauses this long.
const HINT_DELAY_MS = 150;

export function createCloud(ctx) {
  const { section, q } = ctx;
  const form = section.querySelector('form');
  const canvas = q('[data-plot="scatter"]');
  let plot = null;        // {points, dim, indices, weights}
  let downloadUrl = null;
  let lastConfig = null;

  const upload = csvUpload(ctx, { disables: ['d', 'dim'], onLoad: updateHint, onClear: updateHint });
  let hintTimer = 0;
  const hintSoon = () => {
    clearTimeout(hintTimer);
    hintTimer = setTimeout(updateHint, HINT_DELAY_MS);
  };
  for (const n of ['dim', 'k', 'd']) form.elements[n].addEventListener('input', hintSoon);
  q('[data-png="scatter"]').addEventListener('click', () => canvasToPNG(canvas, 'cloud.png'));

  // Asks the worker for N(m,k) only for values the form itself accepts (its own min, max and step): an
  // unchecked k could keep the worker busy, and a keystroke is not a request.
  function updateHint() {
    clearTimeout(hintTimer);
    const hint = q('[data-role="hint"]');
    if (upload.text()) {
      hint.textContent = '';
      return;
    }
    const m = validateControl(form.elements.dim, form.elements.dim.value);
    const k = validateControl(form.elements.k, form.elements.k.value);
    if (m instanceof Error || k instanceof Error) {
      const [name, e] = m instanceof Error ? ['dimension m', m] : ['order k', k];
      hint.textContent = `${name}: ${e.message}`;
      return;
    }
    ctx.nmoments(Number(m), Number(k));
  }

  new ResizeObserver(() => requestAnimationFrame(draw)).observe(canvas);

  function draw() {
    const { g, w: cssW, h: cssH, dpr } = prepareCanvas(canvas, (w) => Math.round(w * 0.75));
    if (!plot) return;
    const { points, dim } = plot;
    const n = points.length / dim;
    const X = (i) => points[i * dim];
    const Y = (i) => (dim > 1 ? points[i * dim + 1] : 0);
    let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
    for (let i = 0; i < n; i++) {
      x0 = Math.min(x0, X(i)); x1 = Math.max(x1, X(i));
      y0 = Math.min(y0, Y(i)); y1 = Math.max(y1, Y(i));
    }
    if (!(x1 > x0)) { x0 -= 1; x1 += 1; }
    if (!(y1 > y0)) { y0 -= 1; y1 += 1; }
    const pad = 16;   // same scale on both axes, so the picture is not distorted
    const s = Math.min((cssW - 2 * pad) / (x1 - x0), (cssH - 2 * pad) / (y1 - y0));
    const ox = (cssW - s * (x1 - x0)) / 2 - s * x0;
    const oy = (cssH + s * (y1 - y0)) / 2 + s * y0;
    const px = (i) => ox + s * X(i);
    const py = (i) => oy - s * Y(i);
    if (n <= 20000) {
      g.fillStyle = 'rgba(110,110,110,0.7)';
      for (let i = 0; i < n; i++) g.fillRect(px(i) - 1, py(i) - 1, 2, 2);
    } else {
      drawDensity(g, n, (i) => px(i) * dpr, (i) => py(i) * dpr);
    }
    const { indices, weights, clusters } = plot;
    if (clusters) {
      // each cluster as a circle around its members (centre: their mean, radius: the farthest)
      g.strokeStyle = 'rgba(213,94,0,0.9)';   // Okabe–Ito vermillion
      g.lineWidth = 1.5;
      for (const c of clusters) {
        let cx = 0, cy = 0;
        for (const i of c) { cx += px(i); cy += py(i); }
        cx /= c.length; cy /= c.length;
        let r = 0;
        for (const i of c) r = Math.max(r, Math.hypot(px(i) - cx, py(i) - cy));
        g.beginPath();
        g.arc(cx, cy, r + 3, 0, 2 * Math.PI);
        g.stroke();
      }
    }
    if (!indices) return;
    let wmax = 0;
    for (const w of weights) wmax = Math.max(wmax, w);
    const rmax = Math.max(6, Math.min(22, cssW / 28));
    g.fillStyle = 'rgba(0,114,178,0.42)';   // Okabe–Ito blue
    g.strokeStyle = 'rgba(0,70,120,0.95)';
    g.lineWidth = 1;
    // While animating, a weight of 1 (an untouched input point) is a 2-px disc and the area grows with the
    // weight from there; the final picture scales the heaviest point to the largest disc.
    const radius = clusters
      ? (w) => Math.min(rmax, 2 * Math.sqrt(w))
      : (w) => Math.max(1.5, rmax * Math.sqrt(w / wmax));   // area ∝ weight (a floor keeps tiny ones visible)
    for (let j = 0; j < indices.length; j++) {
      const r = radius(weights[j]);
      g.beginPath();
      g.arc(px(indices[j]), py(indices[j]), r, 0, 2 * Math.PI);
      g.fill();
      g.stroke();
    }
  }

  return {
    config(values) {
      lastConfig = { seed: values.seed, d: values.d, dim: values.dim, k: values.k, target: values.target, strategy: values.strategy };
      if (values.animate && !upload.text() && values.d > MAX_ANIMATED) throw new Error(`slow motion draws every point: at most ${MAX_ANIMATED.toLocaleString('en')} points`);
      return { kind: 'cloud', config: { ...lastConfig, animate: values.animate }, csv: upload.text() };
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
      plot = null;
      q('[data-role="download"]').hidden = true;
      delete q('.result').dataset.atoms;
      delete q('.result').dataset.clustersShown;
      for (const role of ['atoms', 'nmom', 'residual', 'rounds', 'time']) q(`[data-role="${role}"]`).textContent = '–';
      q('[data-role="moments-note"]').hidden = true;
      canvas.setAttribute('aria-label', 'scatter plot of the original and the kept points');
      q('[data-role="moments"] tbody').replaceChildren();
      draw();
    },
    started(info) {
      plot = { points: info.points, dim: info.dim, indices: null, weights: null };
      q('[data-role="cap-d"]').textContent = info.d.toLocaleString('en');
      q('[data-role="cap-proj"]').textContent = info.dim > 2 ? ` (first two of ${info.dim} coordinates)` : '';
      draw();
      return `compressing ${info.d.toLocaleString('en')} points…`;
    },
    // Slow motion: the surviving points with their current weights, and the clusters just reduced.
    progress(_items, _fraction, { frames = [] }) {
      const last = frames[frames.length - 1];
      if (!last || !plot) return;
      const ids = [];
      const ws = [];
      last.weights.forEach((w, i) => { if (w > 0) { ids.push(i); ws.push(w); } });
      plot.indices = ids;
      plot.weights = ws;
      const clusters = [];
      for (let p = 0; p < last.clusters.length;) {
        const n = last.clusters[p];
        clusters.push(last.clusters.subarray(p + 1, p + 1 + n));
        p += n + 1;
      }
      plot.clusters = clusters;
      const result = q('.result');
      result.dataset.clustersShown = String(Number(result.dataset.clustersShown || 0) + clusters.length);
      requestAnimationFrame(draw);
    },
    done(s, extra, ms) {
      plot.indices = extra.indices;
      plot.weights = extra.weights;
      plot.clusters = null;
      draw();
      const set = (role, text) => { q(`[data-role="${role}"]`).textContent = text; };
      set('atoms', `${fmtCount(s.kept)} of ${fmtCount(s.d)}`);
      set('nmom', `N(${s.dim},${s.k}) = ${fmtCount(s.n_moments)}`);
      set('residual', fmtSci(s.residual));
      set('rounds', `${fmtCount(s.rounds)} · ${fmtPrec(s.max_cluster_diameter, 3)}`);
      set('time', fmtMs(ms));
      // Coordinates whose powers overflow are tabulated in the bounding-box frame u = (x − centre)/scale
      // (the same moment space, so the same comparison); the monomials then read u and a note says so.
      const frame = s.moment_frame;
      const scaled = !!frame && Array.isArray(frame.centre)
        && (frame.centre.some((c) => c !== 0) || frame.scale !== 1);
      // Moments of very large coordinates may not be finite (null in the summary): marked, never a throw.
      let nonFinite = 0;
      const rows = (Array.isArray(s.moments) ? s.moments : []).map((m) => {
        const tr = document.createElement('tr');
        const mono = document.createElement('th');
        mono.scope = 'row';
        mono.append(...monomial(m.exponents, scaled ? 'u' : 'x'));
        const cells = [[m.original, fmtNum], [m.compressed, fmtNum], [m.rel_diff, fmtSci]].map(([x, f]) => {
          const c = td(f(x));
          if (finite(x) === null) {
            nonFinite++;
            c.title = NOT_FINITE_TITLE;
            c.dataset.nonfinite = '1';
          }
          return c;
        });
        tr.append(mono, ...cells);
        return tr;
      });
      q('[data-role="moments"] tbody').replaceChildren(...rows);
      const lines = [];
      if (scaled) lines.push('Your coordinates are too large for their powers to be finite numbers, so the table shows the moments of u = (x − centre) / scale, the cloud mapped into [−1, 1] (the same moments, matched the same way).');
      if (nonFinite) lines.push(`${nonFinite} ${nonFinite === 1 ? 'entry is' : 'entries are'} not a finite number (${NOT_FINITE_TITLE.replace(/^not a finite number: /, '')}), shown as —.`);
      const note = q('[data-role="moments-note"]');
      note.hidden = lines.length === 0;
      note.textContent = lines.join(' ');
      if (downloadUrl) URL.revokeObjectURL(downloadUrl);
      downloadUrl = URL.createObjectURL(new Blob([extra.csv], { type: 'text/csv' }));
      const a = q('[data-role="download"]');
      a.href = downloadUrl;
      a.download = upload.name() ? upload.name().replace(/\.[^.]*$/, '') + '-kept.csv' : `cloud-seed${lastConfig.seed}-d${s.d}-k${s.k}-kept.csv`;
      a.hidden = false;
      const result = q('.result');
      result.dataset.atoms = String(extra.indices.length);
      result.dataset.residual = String(s.residual);
      canvas.setAttribute('aria-label', `scatter plot: ${fmtCount(s.d)} original points in grey, ${fmtCount(s.kept)} kept points as discs with area proportional to weight; relative moment residual ${fmtSci(s.residual)}`);
      return `done: ${fmtCount(s.d)} → ${fmtCount(s.kept)} points in ${fmtMs(ms)}`;
    },
    hint(msg) {
      const form_ = form.elements;
      const hint = q('[data-role="hint"]');
      if (msg.error || msg.m !== Number(form_.dim.value) || msg.k !== Number(form_.k.value)) {
        hint.textContent = '';
        return;
      }
      const d = upload.text() ? 'the number of rows' : `d = ${form_.d.value}`;
      hint.textContent = `N(${msg.m},${msg.k}) = ${msg.n} moments: the target d′ must be at least ${msg.n} and below ${d}.`;
    },
    updateHint,
  };
}

function drawDensity(g, n, X, Y) {
  const { width: w, height: h } = g.canvas;
  const img = g.getImageData(0, 0, w, h);
  const count = new Uint16Array(w * h);
  for (let i = 0; i < n; i++) {
    const x = X(i) | 0;
    const y = Y(i) | 0;
    if (x >= 0 && x < w && y >= 0 && y < h && count[y * w + x] < 65535) count[y * w + x]++;
  }
  const a = img.data;
  for (let p = 0; p < count.length; p++) {
    if (!count[p]) continue;
    const shade = Math.max(40, 200 - 30 * count[p]);
    a[4 * p] = a[4 * p + 1] = a[4 * p + 2] = shade;
  }
  g.putImageData(img, 0, 0);
}

function td(text) {
  const c = document.createElement('td');
  c.textContent = text;
  return c;
}

// x₁²x₂ as DOM nodes; the constant monomial is the total mass.
function monomial(exps, letter = 'x') {
  if (!Array.isArray(exps)) return [document.createTextNode('?')];
  if (exps.every((e) => e === 0)) return [document.createTextNode('1 (mass)')];
  const out = [];
  exps.forEach((e, i) => {
    if (e === 0) return;
    const v = document.createElement('var');
    v.textContent = letter;
    const sub = document.createElement('sub');
    sub.textContent = String(i + 1);
    out.push(v, sub);
    if (e > 1) {
      const sup = document.createElement('sup');
      sup.textContent = String(e);
      out.push(sup);
    }
  });
  return out;
}

// The tab (lab/panel.js): its button, its settings (the default preset's values) and its results' markup.
export const tab = {
  kind: 'cloud',
  label: 'Compress a cloud',
  fields: `
      <label data-field="seed"><span>seed</span> <input name="seed" type="number" min="0" step="1" value="1" inputmode="numeric"></label>
      <label data-field="d"><span>points <var>d</var></span> <input name="d" type="number" min="1" max="1000000" step="1" value="1000" inputmode="numeric"></label>
      <label data-field="dim"><span>dimension <var>m</var></span> <input name="dim" type="number" min="1" max="16" step="1" value="2" inputmode="numeric"></label>
      <label data-field="k"><span>order <var>k</var></span> <input name="k" type="number" min="0" max="12" step="1" value="2" inputmode="numeric"></label>
      <label data-field="target"><span>target <var>d′</var></span> <input name="target" type="number" min="1" step="1" value="40" inputmode="numeric"></label>
      <label data-field="strategy"><span>clusters</span> <select name="strategy">
        <option value="auto" selected>auto</option>
        <option value="greedy">greedy</option>
        <option value="bulk">bulk</option>
        <option value="random">random (baseline)</option>
      </select></label>
      <label data-field="animate" class="check"><span>slow motion</span> <input name="animate" type="checkbox"></label>`,
  formEnd: `
    <p class="hint" data-role="hint" aria-live="polite"></p>
    <div class="source" data-field="csv">
      <label class="file">your own points (CSV)
        <input data-role="csv" type="file" accept=".csv,text/csv,text/plain"></label>
      <span data-role="csv-name" class="csv-name" hidden></span>
      <button data-role="csv-clear" type="button" class="link" hidden>use the random cloud again</button>
    </div>
    <p class="hint small">CSV: a header row, numeric columns (the coordinates), optionally a <code>weight</code>
      column; at most 10<sup>6</sup> rows and 64 MB. With a file, <var>d</var> and <var>m</var> come from the file.
      A data set with an output column <code>y</code> compresses as points (<var>x</var>, <var>y</var>), as in the paper.</p>`,
  body: `

  <div class="result">
    <figure class="plot">
      <canvas data-plot="scatter" role="img" aria-label="scatter plot of the original and the kept points"></canvas>
      <figcaption>
        <span class="key key-orig"></span> the <span data-role="cap-d">d</span> original points
        <span class="key key-kept"></span> the kept points, disc <strong>area ∝ weight</strong>
        <span class="key key-cluster"></span> in slow motion: the clusters just reduced
        <span data-role="cap-proj"></span>
      </figcaption>
    </figure>
    <div class="numbers">
      <dl class="facts">
        <div><dt>kept atoms</dt><dd data-role="atoms">–</dd></div>
        <div><dt>moments matched</dt><dd data-role="nmom">–</dd></div>
        <div><dt>relative residual</dt><dd data-role="residual">–</dd></div>
        <div><dt>rounds · largest cluster diameter</dt><dd data-role="rounds">–</dd></div>
        <div><dt>time</dt><dd data-role="time">–</dd></div>
      </dl>
      <p class="exports"><a data-role="download" href="#" download="kept.csv" hidden>download kept points (CSV)</a>
        <button type="button" class="link" data-png="scatter">plot as PNG</button></p>
      <div class="table-wrap">
        <table data-role="moments">
          <caption>Moments Σ<sub>i</sub> w<sub>i</sub> x<sub>i</sub><sup>α</sup> up to order <var>k</var></caption>
          <thead><tr><th scope="col">monomial</th><th scope="col">original</th><th scope="col">compressed</th><th scope="col">rel. diff.</th></tr></thead>
          <tbody></tbody>
        </table>
      </div>
      <p class="hint small" data-role="moments-note" hidden></p>
    </div>
  </div>
  <div class="explain">
    <h3>What you see</h3>
    <p>Every moment Σ<sub>i</sub> w<sub>i</sub> x<sub>i</sub><sup>α</sup> with |α| ≤ <var>k</var> is a linear
      function of the weights, so matching all <var>N(m,k)</var> of them is a linear system
      <var>A</var> <var>c′</var> = <var>A</var> <var>c</var> with <var>c′</var> ≥ 0. Carathéodory's theorem says a
      solution with at most <var>N(m,k)</var> non-zero weights exists among the original points (Tchakaloff). The
      compressor finds it by peeling: in a cluster of <var>N</var>+1 points, a null vector of the cluster's
      moment matrix shifts weight until one point's weight reaches zero, and that point goes.</p>
    <p>Why small clusters? Any smooth function <var>g</var> is its Taylor polynomial of degree <var>k</var> plus a
      remainder of order <var>r</var><sup><var>k</var>+1</sup> on a cluster of diameter <var>r</var>. The polynomial
      part is preserved exactly; only the remainder errs. Switch the clusters to <em>random</em> (global
      recombination): the moments still match to rounding, but the largest cluster diameter shown beside the plot
      grows several-fold, and with it the error on every function that is not a polynomial of degree ≤ <var>k</var>.</p>
  </div>
  <details class="exercise"><summary>Exercise: how few points can keep the moments?</summary>
    <ol><li>With <var>m</var> = 2 and <var>k</var> = 2, set the target to 6, then 5. Which one fails, and what does
      the message say? Relate it to C(4,2).</li>
      <li>Raise <var>k</var> to 6 at target 40. Where do the kept points sit, and why do the largest discs appear
      in the densest part of the cloud?</li></ol></details>`,
  create: createCloud,
};
