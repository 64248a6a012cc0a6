// Canvas plots for the lab: a line/marker chart with linear or log axes, and a heat map. No library: each
// draw is one pass over at most a few thousand points, scheduled on requestAnimationFrame so a burst of
// updates costs one frame. Colours are the Okabe–Ito palette (distinguishable with any colour vision), and
// every series also differs by dash pattern, so nothing relies on colour alone.

export const PALETTE = {
  black: '#000000', orange: '#E69F00', sky: '#56B4E9', green: '#009E73',
  yellow: '#F0E442', blue: '#0072B2', vermillion: '#D55E00', purple: '#CC79A7',
};

// The arms of every experiment keep one colour and dash everywhere on the page.
export const ARM_STYLE = {
  original: { color: PALETTE.black, dash: [], label: 'original (wide)' },
  full: { color: PALETTE.black, dash: [], label: 'full data' },
  compressed: { color: PALETTE.blue, dash: [6, 3], label: 'compressed (moment-matched)' },
  naive: { color: PALETTE.vermillion, dash: [2, 3], label: 'naive random subset' },
  magnitude: { color: PALETTE.purple, dash: [8, 3, 2, 3], label: 'magnitude-pruned' },
  kmeans: { color: PALETTE.orange, dash: [8, 3, 2, 3], label: 'k-means centroids' },
};

// An arm's label, and a series of an arm in its colour and dash (`extra` adds or overrides options).
export const armLabel = (name) => ARM_STYLE[name]?.label || name;
export const armSeries = (name, points, extra = {}) => ({
  name, label: armLabel(name), color: ARM_STYLE[name]?.color || '#777', dash: ARM_STYLE[name]?.dash, points, ...extra,
});

const FONT = '12px system-ui, sans-serif';
const REDUCED_MOTION = window.matchMedia('(prefers-reduced-motion: reduce)');

function niceLinearTicks(lo, hi, n = 5) {
  const span = hi - lo || 1;
  const step0 = span / n;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((f) => f * mag).find((s) => s >= step0) || step0;
  const out = [];
  // Ticks as multiples of the step (no accumulated rounding: a tick at zero is 0, not -5.6e-17).
  for (let i = Math.ceil(lo / step); i * step <= hi + step * 1e-9; i++) out.push(Number((i * step).toPrecision(12)));
  return out;
}

function logTicks(lo, hi) {
  const out = [];
  const a = Math.floor(Math.log10(lo));
  const b = Math.ceil(Math.log10(hi));
  const every = Math.max(1, Math.ceil((b - a) / 6));
  for (let e = a; e <= b; e += every) {
    const v = 10 ** e;
    if (v >= lo * 0.999 && v <= hi * 1.001) out.push(v);
  }
  if (out.length < 2) {
    for (const m of [2, 5]) for (let e = a; e <= b; e++) {
      const v = m * 10 ** e;
      if (v >= lo && v <= hi) out.push(v);
    }
    out.sort((x, y) => x - y);
  }
  return out;
}

const fmtTick = (v) => {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-2) {
    const e = Math.floor(Math.log10(a));
    const m = v / 10 ** e;
    return Math.abs(m - 1) < 1e-9 ? `1e${e}` : `${m.toPrecision(2)}e${e}`;
  }
  return String(Number(v.toPrecision(3)));
};

export class LinePlot {
  // opts: {xlabel, ylabel, logx, logy, title}
  constructor(canvas, opts = {}) {
    this.canvas = canvas;
    this.opts = opts;
    this.series = [];   // {name, label, color, dash, points: [[x, y], …], markers?, line? (default true), band?}
    this.frame = 0;
    new ResizeObserver(() => this.schedule()).observe(canvas);
  }

  set(series) {
    this.series = series;
    this.schedule();
  }

  // One redraw per animation frame at most; with prefers-reduced-motion, at most two per second (the curves
  // still grow, without the flicker of a 60 Hz update).
  schedule() {
    if (this.frame) return;
    const wait = REDUCED_MOTION.matches ? Math.max(0, 500 - (performance.now() - (this.lastDraw || 0))) : 0;
    this.frame = setTimeout(() => requestAnimationFrame(() => {
      this.frame = 0;
      this.lastDraw = performance.now();
      this.draw();
    }), wait);
  }

  bounds() {
    const { logx, logy } = this.opts;
    let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
    for (const s of this.series) for (const [x, y] of s.points) {
      if (!Number.isFinite(x) || !Number.isFinite(y) || (logx && x <= 0) || (logy && y <= 0)) continue;
      x0 = Math.min(x0, x); x1 = Math.max(x1, x);
      y0 = Math.min(y0, y); y1 = Math.max(y1, y);
    }
    if (!Number.isFinite(x0)) return null;
    if (logy) { if (y1 <= y0) { y0 /= 2; y1 *= 2; } else { const r = (y1 / y0) ** 0.04; y0 /= r; y1 *= r; } }
    else if (y1 <= y0) { y0 -= 1; y1 += 1; } else { const p = (y1 - y0) * 0.04; y0 -= p; y1 += p; }
    if (logx) { if (x1 <= x0) { x0 /= 2; x1 *= 2; } else if (this.opts.padx) { const r = (x1 / x0) ** 0.04; x0 /= r; x1 *= r; } }
    else if (x1 <= x0) { x0 -= 1; x1 += 1; }
    return { x0, x1, y0, y1 };
  }

  draw() {
    const { g, w, h } = prepareCanvas(this.canvas, (w) => this.canvas.clientHeight || Math.round(w * 0.62));
    g.font = FONT;
    const b = this.bounds();
    const L = 58, R = 10, T = 10, B = 38;
    const pw = w - L - R, ph = h - T - B;
    g.strokeStyle = '#999';
    g.strokeRect(L, T, pw, ph);
    g.fillStyle = '#333';
    g.textAlign = 'center';
    g.fillText(this.opts.xlabel || '', L + pw / 2, h - 4);
    g.save();
    g.translate(12, T + ph / 2);
    g.rotate(-Math.PI / 2);
    g.fillText(this.opts.ylabel || '', 0, 0);
    g.restore();
    if (!b) {
      g.fillStyle = '#777';
      g.fillText(this.opts.empty || 'no data yet', L + pw / 2, T + ph / 2);
      return;
    }
    const { logx, logy } = this.opts;
    const fx = logx ? Math.log10 : (v) => v;
    const fy = logy ? Math.log10 : (v) => v;
    const X = (x) => L + ((fx(x) - fx(b.x0)) / (fx(b.x1) - fx(b.x0) || 1)) * pw;
    const Y = (y) => T + ph - ((fy(y) - fy(b.y0)) / (fy(b.y1) - fy(b.y0) || 1)) * ph;
    // grid and ticks
    g.strokeStyle = '#e5e5e5';
    g.fillStyle = '#444';
    g.lineWidth = 1;
    g.textAlign = 'right';
    for (const v of logy ? logTicks(b.y0, b.y1) : niceLinearTicks(b.y0, b.y1)) {
      const y = Y(v);
      if (y < T - 1 || y > T + ph + 1) continue;
      g.beginPath(); g.moveTo(L, y); g.lineTo(L + pw, y); g.stroke();
      g.fillText(fmtTick(v), L - 4, y + 4);
    }
    g.textAlign = 'center';
    for (const v of logx ? logTicks(b.x0, b.x1) : niceLinearTicks(b.x0, b.x1)) {
      const x = X(v);
      if (x < L - 1 || x > L + pw + 1) continue;
      g.beginPath(); g.moveTo(x, T); g.lineTo(x, T + ph); g.stroke();
      g.fillText(fmtTick(v), x, T + ph + 14);
    }
    g.save();
    g.beginPath();
    g.rect(L, T, pw, ph);
    g.clip();
    for (const s of this.series) {
      const pts = decimate(s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!logx || x > 0) && (!logy || y > 0)), X);
      g.strokeStyle = s.color;
      g.fillStyle = s.color;
      g.lineWidth = s.width || 2;
      if (s.line !== false && pts.length > 1) {
        g.setLineDash(s.dash || []);
        g.beginPath();
        pts.forEach(([x, y], i) => (i ? g.lineTo(X(x), Y(y)) : g.moveTo(X(x), Y(y))));
        g.stroke();
        g.setLineDash([]);
      }
      if (s.markers) for (const [x, y] of pts) {
        g.beginPath();
        g.arc(X(x), Y(y), 3, 0, 2 * Math.PI);
        g.fill();
      }
    }
    g.restore();
    // legend: top right unless opts.legend says 'bl' (bottom left) or 'tl' (top left)
    const items = this.series.filter((s) => s.label);
    g.font = FONT;
    const tw = Math.max(0, ...items.map((s) => g.measureText(s.label).width));
    const boxW = tw + 46;
    const bottomLeft = this.opts.legend === 'bl';
    const left = bottomLeft || this.opts.legend === 'tl';
    const lx = left ? L + 6 : Math.max(L + 6, L + pw - boxW - 6);
    let ly = bottomLeft ? T + ph - 16 * items.length + 8 : T + 14;
    if (items.length) {
      g.fillStyle = 'rgba(255,255,255,0.85)';
      g.fillRect(lx - 2, ly - 13, boxW, 16 * items.length + 2);
    }
    g.textAlign = 'left';
    for (const s of items) {
      g.strokeStyle = s.color;
      g.fillStyle = s.color;
      g.lineWidth = 2;
      if (s.line === false) {
        g.beginPath();
        g.arc(lx + 15, ly - 4, 3.5, 0, 2 * Math.PI);
        g.fill();
      } else {
        g.setLineDash(s.dash || []);
        g.beginPath(); g.moveTo(lx + 2, ly - 4); g.lineTo(lx + 30, ly - 4); g.stroke();
        g.setLineDash([]);
      }
      g.fillStyle = '#222';
      g.fillText(s.label, lx + 36, ly);
      ly += 16;
    }
  }

  // Long format: series,x,y — one row per point.
  toCSV() {
    const rows = ['series,x,y'];
    for (const s of this.series) for (const [x, y] of s.points) rows.push(`${JSON.stringify(s.name || s.label || '')},${x},${y}`);
    return rows.join('\n') + '\n';
  }

  toJSON() {
    return { xlabel: this.opts.xlabel, ylabel: this.opts.ylabel, series: this.series.map((s) => ({ name: s.name || s.label, points: s.points })) };
  }
}

// Sizes `canvas`'s backing store to its CSS size × devicePixelRatio (height from `heightOf(cssWidth)`), clears
// it to white and returns the context scaled to CSS pixels, with the CSS width and height.
export function prepareCanvas(canvas, heightOf) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || 480;
  const h = heightOf(w);
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const g = canvas.getContext('2d');
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.fillStyle = '#fff';
  g.fillRect(0, 0, w, h);
  return { g, w, h, dpr };
}

// At most two points (the lowest and the highest) per pixel column, in x order: a 10^4-point curve costs no
// more to stroke than the plot is wide, and looks the same. Points must be sorted by x (curves are).
function decimate(pts, X) {
  if (pts.length < 600) return pts;
  const out = [];
  let col = NaN, lo = null, hi = null;
  const flush = () => {
    if (!lo) return;
    if (lo === hi) out.push(lo);
    else if (lo[0] <= hi[0]) out.push(lo, hi);
    else out.push(hi, lo);
  };
  for (const p of pts) {
    const c = Math.round(X(p[0]));
    if (c !== col) {
      flush();
      col = c;
      lo = hi = p;
    } else {
      if (p[1] < lo[1]) lo = p;
      if (p[1] > hi[1]) hi = p;
    }
  }
  flush();
  return out;
}

// A res × res map of `values` (row-major, y from top = +1 to bottom = -1) on a canvas, with a colour scale.
// Diverging (blue–white–orange) for signed differences around 0, sequential otherwise.
export function drawHeatmap(canvas, values, res, { min, max, diverging = false } = {}) {
  let lo = min, hi = max;
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
    lo = Infinity; hi = -Infinity;
    for (const v of values) if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    if (!Number.isFinite(lo)) { lo = 0; hi = 1; }   // nothing finite: every pixel is NaN grey or clamped
  }
  if (diverging) { const a = Math.max(Math.abs(lo), Math.abs(hi)) || 1; lo = -a; hi = a; }
  if (!(hi > lo)) hi = lo + Math.max(1, Math.abs(lo));
  if (canvas.width !== res) canvas.width = res;
  if (canvas.height !== res) canvas.height = res;
  const g = canvas.getContext('2d');
  const img = g.createImageData(res, res);
  const lut = diverging ? DIVERGING_LUT : SEQUENTIAL_LUT;
  const top = lut.length / 4 - 1;
  const scale = top / (hi - lo);
  const px = img.data;
  for (let i = 0; i < res * res; i++) {
    const v = values[i];
    if (v !== v) {   // NaN (a diverged net): neutral grey, not a colour of the scale
      px[4 * i] = px[4 * i + 1] = px[4 * i + 2] = 160;
      px[4 * i + 3] = 255;
      continue;
    }
    const t = Math.round((v - lo) * scale);   // ±∞ clamp to the ends
    const c = 4 * (t > 0 ? (t < top ? t : top) : 0);
    px[4 * i] = lut[c];
    px[4 * i + 1] = lut[c + 1];
    px[4 * i + 2] = lut[c + 2];
    px[4 * i + 3] = 255;
  }
  g.putImageData(img, 0, 0);
  return { lo, hi };
}

// Blue (#0072B2) – white – orange (#E69F00).
function divergingColour(t) {
  const a = [0, 114, 178], w = [255, 255, 255], o = [213, 94, 0];
  const [p, q, s] = t < 0.5 ? [a, w, t / 0.5] : [w, o, (t - 0.5) / 0.5];
  return p.map((v, i) => Math.round(v + (q[i] - v) * s));
}

// Dark blue to yellow, monotone in lightness (viridis-like, from five anchors).
function sequentialColour(t) {
  const stops = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
  const x = t * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  return stops[i].map((v, j) => Math.round(v + (stops[i + 1][j] - v) * f));
}

// 1024-step colour tables (RGBA), so drawing a map is a lookup per pixel.
function colourTable(colour, steps = 1024) {
  const lut = new Uint8ClampedArray(4 * steps);
  for (let i = 0; i < steps; i++) lut.set([...colour(i / (steps - 1)), 255], 4 * i);
  return lut;
}
const DIVERGING_LUT = colourTable(divergingColour);
const SEQUENTIAL_LUT = colourTable(sequentialColour);

// Download helpers for the export buttons.
export function download(name, blob) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function canvasToPNG(canvas, name) {
  canvas.toBlob((blob) => blob && download(name, blob), 'image/png');
}
