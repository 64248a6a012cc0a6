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
