// What the two training views share (lth.js, dataset.js): train and test curves of every arm, live, a
// table of the final numbers, a text alternative that says the same in words, preset forms, heat-map
// figures.

import { LinePlot, armLabel, armSeries, drawHeatmap } from './plot.js';
import { plotFigure } from './panel.js';

export const fmt = (x) => (Number.isFinite(x) ? Number(x).toPrecision(4) : '–');
export const ratio = (x) => (Number.isFinite(x) ? `${Number(x).toFixed(3)}×` : '–');

// The markup curveView draws into: the test and train plots of tab `kind` (captions `test`, `train`), the
// text alternative of the test plot (#KIND-alt) and the facts list.
export const curveFigures = (kind, { test, train }) => `<div class="result wide">
    ${plotFigure('test', { describedby: `${kind}-alt`, caption: test, exports: ['csv', 'json', 'png'] })}
    ${plotFigure('train', { label: 'training loss per epoch', caption: train })}
  </div>
  <p class="alt" id="${kind}-alt" data-role="alt" aria-live="polite">No run yet.</p>
  <div class="facts-wrap"><dl class="facts" data-role="facts"></dl></div>`;

export function curveView(ctx) {
  const { q } = ctx;
  const plots = {
    test: new LinePlot(q('[data-plot="test"]'), { xlabel: 'epoch', ylabel: 'test loss', logy: true }),
    train: new LinePlot(q('[data-plot="train"]'), { xlabel: 'epoch', ylabel: 'training loss', logy: true }),
  };
  let arms = [];
  let curve = [];
  const render = () => {
    for (const which of ['test', 'train']) {
      plots[which].set(arms.map((a, i) => armSeries(a, curve.map((p) => [p.epoch, p[which][i]]))));
    }
  };
  return {
    plots,
    reset(newArms = []) { arms = newArms; curve = []; render(); },
    add(points) { curve = curve.concat(points); render(); },
    // The worker's 'started' (arms and the epoch-0 point) and 'progress' (new points) for either experiment.
    started(info, describe) { this.reset(info.arms); this.add(info.items); describe(false); },
    progress(items, describeLive) { if (items.length) { this.add(items); describeLive(); } },
    get curve() { return curve; },
    get arms() { return arms; },
  };
}

// `fn` at most once per `ms` (the text alternatives are aria-live: a screen reader should not hear every
// batch of a run).
export function throttled(fn, ms) {
  let last = -Infinity;
  return () => {
    const now = performance.now();
    if (now - last >= ms) {
      last = now;
      fn();
    }
  };
}

export function factsList(dl, rows) {
  dl.replaceChildren(...rows.map(([k, v, title]) => {
    const div = document.createElement('div');
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = v;
    if (title) dd.title = title;
    div.append(dt, dd);
    return div;
  }));
}

export function finalOf(view, armName, which = 'test') {
  const i = view.arms.indexOf(armName);
  const last = view.curve[view.curve.length - 1];
  return i >= 0 && last ? last[which][i] : NaN;
}

// Applies a preset's config to the form fields that exist (others keep their values).
export function presetApplier(ctx, presetsOf, map) {
  const form = ctx.section.querySelector('form');
  const apply = () => {
    const name = form.elements.preset.value;
    const p = presetsOf()?.[name];
    if (!p) return;
    for (const [field, get] of Object.entries(map)) {
      const c = form.elements.namedItem(field);
      if (!c) continue;
      const v = get(p);
      if (c.type === 'checkbox') c.checked = !!v;
      else c.value = String(v);
    }
  };
  form.elements.preset.addEventListener('change', apply);
  return apply;
}

// An empty map figure (canvas and caption), or one drawn with `values` when given.
export function mapCell(title, values, res, opts) {
  const figure = document.createElement('figure');
  figure.className = 'map';
  const canvas = document.createElement('canvas');
  canvas.setAttribute('role', 'img');
  const caption = document.createElement('figcaption');
  if (title !== undefined) {
    canvas.setAttribute('aria-label', title);
    caption.textContent = title;
    drawHeatmap(canvas, values, res, opts);
  }
  figure.append(canvas, caption);
  return values === undefined ? { figure, canvas, caption } : figure;
}

// The text alternative of a training view: every arm's latest test loss, and the compressed and naive arms'
// losses over the original's. `names`: how the view calls them ({compressed: 'compressed network', …}).
export function runAlt(view, final, names) {
  if (!view.curve.length) return 'No run yet.';
  const o = finalOf(view, 'original');
  const parts = view.arms.map((a) => `${armLabel(a)} ${fmt(finalOf(view, a))}`);
  const epoch = view.curve[view.curve.length - 1].epoch;
  return `${final ? 'Final' : `Epoch ${epoch}:`} test losses — ${parts.join('; ')}. ` +
    `The ${names.compressed} is at ${ratio(finalOf(view, 'compressed') / o)} the original's loss, the ${names.naive} at ${ratio(finalOf(view, 'naive') / o)}.`;
}

// A range input over what a run recorded at some epochs ([{epoch, …}], oldest first): `show(snapshot)` draws
// the one picked; while the slider is at its right end it follows the newest.
export function epochSlider(slider, label, show) {
  let list = [];
  const pick = (i) => {
    const snap = list[i];
    if (!snap) return;
    slider.value = String(i);
    slider.setAttribute('aria-valuetext', `epoch ${snap.epoch}`);
    label.textContent = `epoch ${snap.epoch}`;
    show(snap);
  };
  slider.addEventListener('input', () => pick(Number(slider.value)));
  return {
    add(items) {
      if (!items?.length) return;
      const following = list.length === 0 || Number(slider.value) >= list.length - 1;
      list = list.concat(items);
      slider.max = String(list.length - 1);
      slider.disabled = list.length < 2;
      if (following) pick(list.length - 1);
    },
    clear() {
      list = [];
      slider.value = '0';
      slider.max = '0';
      slider.disabled = true;
      label.textContent = 'epoch 0';
    },
    get list() { return list; },
  };
}
