// The page side of "Compress a cloud": reads the controls, talks to the worker (which owns the wasm and does
// all the computing), and draws what comes back. Nothing here blocks for more than a frame.
//
// Worker protocol (every message is tagged {type, runId?, ...}; replies for an old runId are ignored):
//   page -> worker: {type: 'start', runId, config, csv?}   {type: 'stop', runId}   {type: 'nmoments', m, k}
//   worker -> page: {type: 'ready', version, simd}          {type: 'nmoments', m, k, n | error}
//                   {type: 'started', runId, d, dim, points, weights}
//                   {type: 'progress', runId, fraction}
//                   {type: 'done', runId, summary, indices, weights, csv, ms}
//                   {type: 'stopped', runId}                {type: 'error', runId, message, fatal?}
//
// For scripts and tests: body[data-ready="1"] once the worker is up, body[data-done="1"] after a run
// completes, body[data-running="1"] during a run, window.lastResult (the summary object), and
// data-atoms / data-residual on #result.

const $ = (id) => document.getElementById(id);
const el = {
  form: $('controls'), run: $('run'), stop: $('stop'), progress: $('progress'), status: $('status'),
  error: $('error'), hint: $('hint'), result: $('result'), canvas: $('scatter'), atoms: $('atoms'),
  nmom: $('nmom'), residual: $('residual'), rounds: $('rounds'), time: $('time'), download: $('download'),
  table: document.querySelector('#moments tbody'), csv: $('csv'), csvName: $('csv-name'),
  csvClear: $('csv-clear'), capD: $('cap-d'), capProj: $('cap-proj'), about: $('about'),
};
const FIELDS = ['seed', 'd', 'dim', 'k', 'target'];

let worker = null;
let runId = 0;          // the run the page is waiting for; 0 = none
let nextRunId = 1;
let csvText = null;     // the uploaded file's text, or null for the random cloud
let csvFile = '';
let runConfig = null;  // the config of the current / last run
let plot = null;        // {points, dim, indices, weights} of the last run, for redraws
let downloadUrl = null;

// ---------------------------------------------------------------- worker

function startWorker() {
  // The single-file build carries the worker's source inline and starts it from a Blob URL as a classic
  // worker (a module worker from a blob: URL does not start under file://).
  const inline = document.getElementById('worker-src');
  const w = inline
    ? new Worker(URL.createObjectURL(new Blob([inline.textContent], { type: 'text/javascript' })))
    : new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  w.onmessage = ({ data }) => onWorkerMessage(data);
  w.onerror = (e) => {
    e.preventDefault();
    failRun(`the compute worker failed: ${e.message || 'could not start'}`);
  };
  return w;
}

function onWorkerMessage(msg) {
  switch (msg.type) {
    case 'ready':
      el.about.textContent = `Moment Lab ${msg.version} (wasm${msg.simd ? ' + SIMD' : ''})`;
      el.run.disabled = false;
      setStatus('ready');
      updateHint();
      document.body.dataset.ready = '1';
      return;
    case 'nmoments':
      return showHint(msg);
  }
  if (msg.runId !== runId) return;   // a reply for a run the page no longer waits for
  switch (msg.type) {
    case 'started':
      plot = { points: msg.points, dim: msg.dim, weights0: msg.weights, indices: null, weights: null };
      el.capD.textContent = msg.d.toLocaleString('en');
      el.capProj.textContent = msg.dim > 2 ? ` (first two of ${msg.dim} coordinates)` : '';
      draw();
      setStatus(`compressing ${msg.d.toLocaleString('en')} points…`);
      break;
    case 'progress':
      el.progress.value = msg.fraction;
      break;
    case 'done':
      finishRun(msg);
      break;
    case 'stopped':
      endRun();
      setStatus('stopped');
      el.progress.value = 0;
      break;
    case 'error':
      failRun(msg.message);
      if (msg.fatal) restartWorker();
      break;
  }
}

function restartWorker() {
  worker.terminate();
  document.body.dataset.ready = '';
  el.run.disabled = true;
  worker = startWorker();
}

// ---------------------------------------------------------------- runs

function readConfig() {
  const config = {};
  for (const f of FIELDS) {
    const raw = $(f).value.trim();
    const v = Number(raw);
    if (raw === '' || !Number.isSafeInteger(v) || v < 0) {
      throw new Error(`${f} must be a whole number ≥ 0 (got "${raw}")`);
    }
    config[f] = v;
  }
  config.strategy = $('strategy').value;
  return config;
}

function startRun() {
  clearError();
  let config;
  try {
    config = readConfig();
  } catch (e) {
    showError(e.message);
    return;
  }
  if (runId) worker.postMessage({ type: 'stop', runId });
  runId = nextRunId++;
  delete document.body.dataset.done;
  document.body.dataset.running = '1';
  el.stop.disabled = false;
  el.progress.value = 0;
  setStatus('starting…');
  runConfig = config;
  saveHash(config);
  worker.postMessage({ type: 'start', runId, config, csv: csvText });
}

function stopRun() {
  if (!runId) return;
  worker.postMessage({ type: 'stop', runId });
  setStatus('stopping…');
}

function endRun() {
  runId = 0;
  delete document.body.dataset.running;
  el.stop.disabled = true;
}

function failRun(message) {
  endRun();
  el.progress.value = 0;
  showError(message);
  setStatus('error');
}

function finishRun(msg) {
  const s = msg.summary;
  endRun();
  el.progress.value = 1;
  plot.indices = msg.indices;
  plot.weights = msg.weights;
  draw();
  showNumbers(s, msg.ms);

  if (downloadUrl) URL.revokeObjectURL(downloadUrl);
  downloadUrl = URL.createObjectURL(new Blob([msg.csv], { type: 'text/csv' }));
  el.download.href = downloadUrl;
  el.download.download = csvFile ? csvFile.replace(/\.[^.]*$/, '') + '-kept.csv' : `cloud-seed${runConfig.seed}-d${s.d}-k${s.k}-kept.csv`;
  el.download.hidden = false;

  el.result.dataset.atoms = String(msg.indices.length);
  el.result.dataset.residual = String(s.residual);
  window.lastResult = s;
  setStatus(`done: ${s.d.toLocaleString('en')} → ${s.kept} points in ${fmtMs(msg.ms)}`);
  document.body.dataset.done = '1';
}

// ---------------------------------------------------------------- numbers

function showNumbers(s, ms) {
  el.atoms.textContent = `${s.kept} of ${s.d.toLocaleString('en')}`;
  el.nmom.textContent = `N(${s.dim},${s.k}) = ${s.n_moments}`;
  el.residual.textContent = fmtSci(s.residual);
  el.residual.title = 'relative residual of the moment equations, ‖Σ w′ φ(x′) − Σ w φ(x)‖ / ‖Σ w φ(x)‖';
  el.rounds.textContent = `${s.rounds} · ${s.max_cluster_diameter.toPrecision(3)}`;
  el.time.textContent = fmtMs(ms);

  const rows = s.moments.map((m) => {
    const tr = document.createElement('tr');
    const mono = document.createElement('th');
    mono.scope = 'row';
    mono.append(...monomial(m.exponents));
    tr.append(mono, td(fmtNum(m.original)), td(fmtNum(m.compressed)), td(fmtSci(m.rel_diff)));
    return tr;
  });
  el.table.replaceChildren(...rows);
}

function td(text) {
  const c = document.createElement('td');
  c.textContent = text;
  return c;
}

// x₁²x₂ as DOM nodes; the constant monomial is the total mass.
function monomial(exps) {
  if (exps.every((e) => e === 0)) return [document.createTextNode('1 (mass)')];
  const out = [];
  exps.forEach((e, i) => {
    if (e === 0) return;
    const v = document.createElement('var');
    v.textContent = 'x';
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

const fmtSci = (x) => (x === 0 ? '0' : Number(x).toExponential(1));
const fmtNum = (x) => (Math.abs(x) >= 1e5 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential(6) : x.toPrecision(9).replace(/\.?0+$/, ''));
const fmtMs = (ms) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`);

// ---------------------------------------------------------------- drawing

// Grey dots for the original cloud, blue discs for the kept points with area proportional to weight.
function draw() {
  const c = el.canvas;
  const dpr = window.devicePixelRatio || 1;
  const cssW = c.clientWidth || 640;
  const cssH = Math.round(cssW * 0.75);
  if (c.width !== Math.round(cssW * dpr) || c.height !== Math.round(cssH * dpr)) {
    c.width = Math.round(cssW * dpr);
    c.height = Math.round(cssH * dpr);
  }
  const g = c.getContext('2d');
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, cssW, cssH);
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
  // Same scale on both axes, so the picture is not distorted.
  const pad = 16;
  const s = Math.min((cssW - 2 * pad) / (x1 - x0), (cssH - 2 * pad) / (y1 - y0));
  const ox = (cssW - s * (x1 - x0)) / 2 - s * x0;
  const oy = (cssH + s * (y1 - y0)) / 2 + s * y0;
  const px = (i) => ox + s * X(i);
  const py = (i) => oy - s * Y(i);

  if (n <= 20000) {
    g.fillStyle = 'rgba(120,120,120,0.7)';
    for (let i = 0; i < n; i++) g.fillRect(px(i) - 1, py(i) - 1, 2, 2);
  } else {
    drawDensity(g, n, (i) => px(i) * dpr, (i) => py(i) * dpr);
  }

  const { indices, weights } = plot;
  if (!indices) return;
  let wmax = 0;
  for (const w of weights) wmax = Math.max(wmax, w);
  const rmax = Math.max(6, Math.min(22, cssW / 28));
  g.fillStyle = 'rgba(37,99,235,0.45)';
  g.strokeStyle = 'rgba(30,64,175,0.95)';
  g.lineWidth = 1;
  for (let j = 0; j < indices.length; j++) {
    const r = Math.max(1.5, rmax * Math.sqrt(weights[j] / wmax));   // area ∝ weight (a floor keeps tiny ones visible)
    g.beginPath();
    g.arc(px(indices[j]), py(indices[j]), r, 0, 2 * Math.PI);
    g.fill();
    g.stroke();
  }
}

// Large clouds: one grey pixel per point, darker where points pile up; a single putImageData instead of a
// million fillRect calls keeps the main thread free.
function drawDensity(g, n, X, Y) {
  const { width: w, height: h } = g.canvas;
  const img = g.createImageData(w, h);
  const count = new Uint16Array(w * h);
  for (let i = 0; i < n; i++) {
    const x = X(i) | 0;
    const y = Y(i) | 0;
    if (x >= 0 && x < w && y >= 0 && y < h && count[y * w + x] < 65535) count[y * w + x]++;
  }
  const a = img.data;
  for (let p = 0; p < count.length; p++) {
    if (!count[p]) continue;
    a[4 * p] = a[4 * p + 1] = a[4 * p + 2] = 110;
    a[4 * p + 3] = Math.min(255, 70 + 45 * count[p]);
  }
  g.putImageData(img, 0, 0);
}

let resizeFrame = 0;
new ResizeObserver(() => {
  cancelAnimationFrame(resizeFrame);
  resizeFrame = requestAnimationFrame(draw);
}).observe(el.canvas);

// ---------------------------------------------------------------- small UI pieces

function setStatus(text) {
  el.status.textContent = text;
}

function showError(message) {
  el.error.textContent = message;
  el.error.hidden = false;
}

function clearError() {
  el.error.hidden = true;
  el.error.textContent = '';
}

function updateHint() {
  const m = csvText ? null : Number($('dim').value);
  const k = Number($('k').value);
  if (worker && m && Number.isSafeInteger(m) && Number.isSafeInteger(k)) worker.postMessage({ type: 'nmoments', m, k });
  else el.hint.textContent = '';
}

function showHint(msg) {
  if (msg.error || msg.m !== Number($('dim').value) || msg.k !== Number($('k').value)) {
    el.hint.textContent = '';
    return;
  }
  const d = csvText ? 'the number of rows' : `d = ${$('d').value}`;
  el.hint.textContent = `N(${msg.m},${msg.k}) = ${msg.n} moments: the target d′ must be at least ${msg.n} and below ${d}.`;
}

// The experiment lives in the URL hash (#seed=1&d=1000&…), so a link reproduces it.
function loadHash() {
  const p = new URLSearchParams(location.hash.slice(1));
  for (const f of FIELDS) if (p.has(f)) $(f).value = p.get(f);
  if (p.has('strategy')) $('strategy').value = p.get('strategy');
}

function saveHash(config) {
  if (csvText) return;
  const p = new URLSearchParams(Object.entries(config).map(([k, v]) => [k, String(v)]));
  try {
    history.replaceState(null, '', `#${p}`);
  } catch {
    // file:// in some browsers refuses replaceState; the hash is a convenience only.
  }
}

async function onCsvChosen() {
  const file = el.csv.files[0];
  if (!file) return;
  clearError();
  try {
    csvText = await file.text();
  } catch (e) {
    showError(`could not read ${file.name}: ${e.message}`);
    return;
  }
  csvFile = file.name;
  el.csvName.textContent = `using ${file.name}`;
  el.csvName.hidden = false;
  el.csvClear.hidden = false;
  $('d').disabled = true;
  $('dim').disabled = true;
  updateHint();
  if (!el.run.disabled) startRun();
}

function clearCsv() {
  csvText = null;
  csvFile = '';
  el.csv.value = '';
  el.csvName.hidden = true;
  el.csvClear.hidden = true;
  $('d').disabled = false;
  $('dim').disabled = false;
  updateHint();
}

// ---------------------------------------------------------------- start

el.form.addEventListener('submit', (e) => {
  e.preventDefault();
  startRun();
});
el.stop.addEventListener('click', stopRun);
el.csv.addEventListener('change', onCsvChosen);
el.csvClear.addEventListener('click', clearCsv);
for (const id of ['dim', 'k', 'd']) $(id).addEventListener('input', updateHint);

loadHash();
draw();
worker = startWorker();
