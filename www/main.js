// The page shell: tabs, one compute worker shared by all experiments, the run controls (run, stop, resume,
// reset) with progress and ETA, the URL hash, embed mode and errors. Each experiment's drawing lives in
// www/lab/*.js; nothing here computes more than a frame's worth.
//
// Worker protocol: see the top of www/worker.js.
//
// For scripts, tests and embedding pages:
//   body[data-ready="1"] once the worker is up; body[data-running="1"] during a run; body[data-done="1"]
//   after a run completes; window.lastResult = the last summary;
//   window.momentLab = {run, crashWorker, trapWorker, tab, selectTab}.
// Embed mode (?embed=1, optionally &parent=<origin>: lab/embedding.js): a compact view of one experiment.
//   Only then, and only when framed, the page posts to its parent window
//   {source:'moment-lab', protocol:1, version, type:'ready'|'height'|'done'|'error', tab, height?, summary?,
//   message?, userData?} (lab/embedding.js builds them).
//   Nothing derived from the user's own file leaves the page: a run on an uploaded CSV posts
//   {type:'done'|'error', tab, userData:true} without summary or message, and no 'height' is posted while a
//   file is in use (the layout of its results would tell its shape). docs/EMBED.md has the protocol.

import { TABS, applyValues, formValues, makeHash, readForm, readHash } from './lab/state.js';
import { LAB_VERSION, embedOptions, labMessage } from './lab/embedding.js';
import { fmtMs } from './lab/format.js';
import { createCloud } from './lab/cloud.js';
import { createDataset } from './lab/dataset.js';
import { createLth } from './lab/lth.js';
import { createAttention } from './lab/attention.js';
import { createScaling } from './lab/scaling.js';
import { createTheory } from './lab/theory.js';

const EMBED_OPTIONS = embedOptions(location.search);
const EMBED = EMBED_OPTIONS.embed;
const FRAMED = window.parent !== window;
if (EMBED_OPTIONS.problem) console.warn(EMBED_OPTIONS.problem);
// Without an acknowledgement ('stopped') of a Stop within this time, the worker is busy in one long call
// (a run's set-up): it is restarted.
const STOP_ACK_MS = 1000;
const factories = { cloud: createCloud, lth: createLth, attention: createAttention, dataset: createDataset, scaling: createScaling, theory: createTheory };

let worker = null;
let workerReady = false;
let presets = null;
let everReady = false;   // the first 'ready' fills the forms from the presets; a restarted worker leaves them
let nextRunId = 1;
let activeTab = 'cloud';
let hideFlags = [];
const controllers = {};   // tab -> controller
let lastHeight = 0;       // the last height posted to the embedding page
const byRunId = new Map();

// Posts to the embedding page: only in embed mode, only when framed, only to ?parent= when given. Callers
// pass nothing derived from a user's file (see the top of this file).
function post(type, extra = {}) {
  if (!EMBED || !FRAMED || !EMBED_OPTIONS.post) return;
  try {
    window.parent.postMessage(labMessage(type, activeTab, extra), EMBED_OPTIONS.targetOrigin);
  } catch { /* the summary is plain data; nothing else can fail here */ }
}

// ------------------------------------------------------------------------------------------- worker

function startWorker() {
  // The single-file build carries the worker's source inline and starts it from a Blob URL as a classic
  // worker (a module worker from a blob: URL does not start under file://). The hosted build
  // (scripts/bundle.mjs) defines import.meta.env.MOMENT_LAB_WORKER as the bundled worker's hashed file name.
  const inline = document.getElementById('worker-src');
  const w = inline
    ? new Worker(URL.createObjectURL(new Blob([inline.textContent], { type: 'text/javascript' })))
    : new Worker(new URL(import.meta.env?.MOMENT_LAB_WORKER ?? './worker.js', import.meta.url), { type: 'module' });
  w.onmessage = ({ data }) => onWorkerMessage(data);
  w.onerror = (e) => {
    e.preventDefault();
    onWorkerCrash(e.message || 'the compute worker could not start');
  };
  return w;
}

function onWorkerCrash(message) {
  byRunId.clear();
  if (!workerReady) {
    // It never came up (not built, blocked, …): restarting would fail the same way, forever.
    worker.terminate();
    controllers[activeTab].fail(`could not start the compute worker: ${message}`);
    for (const c of Object.values(controllers)) c.setIdle();
    return;
  }
  for (const c of Object.values(controllers)) c.fail(`the compute worker stopped: ${message}. It was restarted; press Run to try again.`);
  restartWorker();
}

function restartWorker() {
  worker.terminate();
  workerReady = false;
  document.body.dataset.ready = '';
  for (const c of Object.values(controllers)) c.setIdle();
  worker = startWorker();
}

function onWorkerMessage(msg) {
  if (msg.type === 'ready') {
    workerReady = true;
    presets = msg.presets;
    document.getElementById('about').textContent = `Moment Lab ${msg.version} (wasm${msg.simd ? ' + SIMD' : ''})`;
    // The page's scripts and the wasm come from one build; a mix (a stale cache, a half-copied folder) would
    // pair a protocol with the wrong code.
    if (msg.version !== LAB_VERSION) console.error(`Moment Lab: the page is version ${LAB_VERSION} but its wasm is ${msg.version}; rebuild or re-upload the whole folder`);
    for (const c of Object.values(controllers)) c.onReady(!everReady);
    everReady = true;
    document.body.dataset.ready = '1';
    post('ready');
    return;
  }
  if (msg.type === 'nmoments') {
    controllers.cloud.view.hint(msg);
    return;
  }
  const c = byRunId.get(msg.runId);
  if (c) c.onMessage(msg);
  else if (msg.type === 'error' && (msg.runId === 0 || msg.fatal)) {
    controllers[activeTab].fail(msg.message);
    if (msg.fatal) restartWorker();   // a trap outside any run on this page: the instance is still unusable
  }
}

// ------------------------------------------------------------------------------------------- one experiment

function createController(tab) {
  const section = document.getElementById(`tab-${tab}`);
  const form = section.querySelector('form');
  const q = (sel) => section.querySelector(sel);
  const actions = q('[data-role="actions"]');
  const button = (label, cls, type = 'button') => {
    const b = document.createElement('button');
    b.type = type;
    b.textContent = label;
    if (cls) b.className = cls;
    b.disabled = true;
    return b;
  };
  const runBtn = button('Run', 'primary', 'submit');
  const stopBtn = button('Stop');
  const resumeBtn = button('Resume');
  const resetBtn = button('Reset');
  for (const [b, a] of [[runBtn, 'run'], [stopBtn, 'stop'], [resumeBtn, 'resume'], [resetBtn, 'reset']]) b.dataset.action = a;
  resetBtn.title = 'discard the curves and train again from the same initialisation (same seed, same numbers)';
  const progress = document.createElement('progress');
  progress.max = 1;
  progress.value = 0;
  progress.setAttribute('aria-label', `${document.getElementById(`tabbtn-${tab}`).textContent}: progress`);
  const status = document.createElement('span');
  status.className = 'status';
  status.dataset.role = 'status';
  status.setAttribute('role', 'status');
  status.setAttribute('aria-live', 'polite');
  status.textContent = 'loading the compute worker…';
  actions.append(runBtn, stopBtn, resumeBtn, resetBtn, progress, status);
  const errorBox = q('[data-role="error"]');

  let runId = 0;
  let state = 'idle';   // idle | running | paused | done
  let lastConfig = null;
  let t0 = 0, tStarted = 0, activeMs = 0, resumedAt = 0;
  let lastFraction = 0;
  let lastStatusAt = 0;
  let stopTimer = 0;
  let keepStatus = false;   // the status explains a forced restart: the worker's next 'ready' keeps it
  let settingUp = false;    // between 'start' and the worker's 'started'
  let fromFile = false;     // the run on screen (its results, or its error) used the user's file

  const asks = new Map();   // what -> the promise of ctx.ask waiting for its answer
  const ctx = {
    section, q,
    get presets() { return presets; },
    clearError, showError,
    run: () => start(),
    nmoments: (m, k) => workerReady && worker.postMessage({ type: 'nmoments', m, k }),
    query: (what, args) => runId && worker.postMessage({ type: 'query', runId, what, args }),
    // A query whose answer comes back as a promise (null without a run).
    ask: (what, args) => new Promise((resolve, reject) => {
      if (!runId) return resolve(null);
      asks.set(what, { resolve, reject });
      worker.postMessage({ type: 'query', runId, what, args });
    }),
  };
  const view = factories[tab](ctx);

  function setButtons() {
    runBtn.disabled = !workerReady;
    stopBtn.disabled = state !== 'running';
    resumeBtn.disabled = state !== 'paused' || !workerReady;
    resetBtn.disabled = !workerReady || !lastConfig;
    if (state === 'running') document.body.dataset.running = '1';
    else if (!Object.values(controllers).some((c) => c.state === 'running')) delete document.body.dataset.running;
  }

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = false;
  }
  function clearError() {
    errorBox.hidden = true;
    errorBox.textContent = '';
  }

  function start(config = null) {
    clearError();
    let job = config;
    if (!job) {
      try {
        job = { ...view.config(readForm(form)), values: formValues(form) };
      } catch (e) {
        showError(e.message);
        status.textContent = 'not started';
        return;
      }
    }
    if (runId) worker.postMessage({ type: 'stop', runId });
    for (const ask of asks.values()) ask.resolve(null);   // their run is being replaced
    asks.clear();
    clearTimeout(stopTimer);
    keepStatus = false;
    byRunId.delete(runId);
    // One worker computes one run at a time: a run in another tab ends there.
    for (const c of Object.values(controllers)) if (c !== controller) c.interrupt(tab);
    runId = nextRunId++;
    byRunId.set(runId, controller);
    lastConfig = job;
    fromFile = job.csv != null;
    state = 'running';
    delete document.body.dataset.done;
    view.reset();
    progress.value = 0;
    lastFraction = 0;
    t0 = performance.now();
    tStarted = t0;
    activeMs = 0;
    resumedAt = t0;
    status.textContent = 'starting…';
    settingUp = true;
    setButtons();
    if (view.shareable()) saveHash(job.values);
    worker.postMessage({ type: 'start', runId, kind: job.kind, config: job.config, csv: job.csv ?? null });
    postHeight();   // a run on the built-in data ends a freeze of the height messages
  }

  // Whether what the tab shows may derive from the user's own file: one is in use, or the run on screen
  // (its results or its error message) used one.
  function usesUserData() {
    return fromFile || !!view.userData?.();
  }

  function elapsed() {
    return activeMs + (state === 'running' ? performance.now() - resumedAt : 0);
  }

  function onMessage(msg) {
    if (msg.runId !== runId) return;
    try {
      handle(msg);
    } catch (e) {
      // A drawing bug must not leave the tab looking busy forever.
      fail(`could not show the result: ${e.message}`);
    }
  }

  function handle(msg) {
    if (['stopped', 'done', 'error'].includes(msg.type)) clearTimeout(stopTimer);
    switch (msg.type) {
      case 'started':
        settingUp = false;
        tStarted = performance.now();
        status.textContent = view.started(msg.info) || 'running…';
        break;
      case 'progress': {
        view.progress(msg.items || [], msg.fraction, msg);
        progress.value = msg.fraction;
        lastFraction = msg.fraction;
        const ms = elapsed();
        // The status is an aria-live region: rewrite it every 2 s at most, not at every batch.
        if (ms > 1000 && msg.fraction > 0.02 && msg.fraction < 1 && performance.now() - lastStatusAt > 2000) {
          lastStatusAt = performance.now();
          const eta = (ms * (1 - msg.fraction)) / msg.fraction;
          status.textContent = `${Math.round(msg.fraction * 100)} % · ${fmtMs(ms)} elapsed · about ${eta < 60000 ? `${Math.ceil(eta / 1000)} s` : `${Math.ceil(eta / 60000)} min`} left`;
        }
        break;
      }
      case 'done': {
        const ms = elapsed();
        state = 'done';
        progress.value = 1;
        status.textContent = view.done(msg.summary, msg.extra, ms, tStarted - t0) || 'done';
        window.lastResult = msg.summary;
        document.body.dataset.done = '1';
        setButtons();
        post('done', usesUserData() ? { userData: true } : { summary: msg.summary });
        break;
      }
      case 'stopped':
        if (state !== 'running') break;   // a stop that crossed the run's 'done'
        activeMs = elapsed();
        state = 'paused';
        status.textContent = `stopped at ${Math.round(lastFraction * 100)} % — Resume continues, Run starts again`;
        setButtons();
        if (document.activeElement === stopBtn || document.activeElement === document.body) resumeBtn.focus();
        break;
      case 'answer': {
        const ask = asks.get(msg.what);
        asks.delete(msg.what);
        if (ask) (msg.error ? ask.reject(new Error(msg.error)) : ask.resolve(msg.data));
        else view.answer?.(msg.what, msg.data, msg.error);
        break;
      }
      case 'error':
        fail(msg.message);
        if (msg.fatal) restartWorker();
        break;
    }
  }

  function fail(message) {
    if (state === 'idle' && !message) return;
    clearTimeout(stopTimer);
    const userData = usesUserData();
    // A run on the user's file failed (most often: Rust refused the file): back to the built-in data, so
    // that the next Run does not repeat the error. The message stays.
    if ((state === 'running' || state === 'paused') && lastConfig?.csv != null && view.dropUpload) {
      const name = view.dropUpload();
      lastConfig = null;
      message = `${message} — ${name ? `${name} is` : 'your file is'} no longer in use; Run uses the built-in data, or choose a file again.`;
    }
    state = 'idle';
    progress.value = 0;
    showError(message);
    status.textContent = 'error';
    setButtons();
    // An error about the user's file may quote it: the embedding page only learns that the run failed.
    post('error', userData ? { userData: true } : { message });
  }

  // Stop is a message the worker reads between slices of work; a run still in one long call (its set-up)
  // cannot read it. Without 'stopped' in time the worker is replaced: the run is lost, the page is free.
  function forceStop() {
    if (state !== 'running') return;
    restartWorker();
    keepStatus = true;
    status.textContent = `stopped: the run was ${settingUp ? 'still setting up' : 'in one long step'} and could not pause, so the compute worker was restarted. This run cannot be resumed; Run starts again.`;
  }

  // The link of the run on screen (`values`: the form as it was when the run started), else of the form.
  function saveHash(values = lastConfig?.values || formValues(form)) {
    const hash = makeHash(tab, values, { hide: hideFlags });
    try {
      history.replaceState(null, '', hash + '');
    } catch { /* file:// in some browsers refuses replaceState; the hash is a convenience */ }
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    start();
  });
  stopBtn.addEventListener('click', () => {
    if (state !== 'running') return;
    worker.postMessage({ type: 'stop', runId });
    status.textContent = 'stopping…';
    clearTimeout(stopTimer);
    const stopping = runId;
    stopTimer = setTimeout(() => { if (runId === stopping) forceStop(); }, STOP_ACK_MS);
  });
  resumeBtn.addEventListener('click', () => {
    if (state !== 'paused') return;
    state = 'running';
    resumedAt = performance.now();
    delete document.body.dataset.done;
    status.textContent = 'running…';
    const hadFocus = document.activeElement === resumeBtn;
    setButtons();
    if (hadFocus) stopBtn.focus();
    worker.postMessage({ type: 'resume', runId });
  });
  resetBtn.addEventListener('click', () => lastConfig && start(lastConfig));

  const controller = {
    tab, view, form,
    get state() { return state; },
    onMessage, fail, usesUserData,
    onReady(first) {
      // The preset's values first (from Rust), then whatever the link set on top; only once, so a
      // restarted worker does not undo the user's edits.
      if (first) {
        if (view.applyPreset) view.applyPreset();
        applyValues(form, controller.linkValues);
      }
      setButtons();
      if ((state === 'idle' || state === 'done') && !keepStatus) status.textContent = 'ready';
      view.updateHint?.();
    },
    setIdle() {
      clearTimeout(stopTimer);
      state = 'idle';
      byRunId.delete(runId);
      runId = 0;
      setButtons();
    },
    interrupt(by) {
      if (state !== 'running' && state !== 'paused') return;
      clearTimeout(stopTimer);
      byRunId.delete(runId);
      runId = 0;
      state = 'idle';
      status.textContent = `interrupted by a run in the ${document.getElementById(`tabbtn-${by}`).textContent} tab`;
      setButtons();
    },
    start, saveHash,
    linkValues: {},
  };
  return controller;
}

// ------------------------------------------------------------------------------------------- tabs

function selectTab(tab, { focus = false, save = true } = {}) {
  activeTab = tab;
  for (const t of TABS) {
    const btn = document.getElementById(`tabbtn-${t}`);
    const on = t === tab;
    btn.setAttribute('aria-selected', String(on));
    btn.tabIndex = on ? 0 : -1;
    document.getElementById(`tab-${t}`).hidden = !on;
    if (on && focus) btn.focus();
  }
  document.body.dataset.tab = tab;
  if (save) controllers[tab].saveHash();
}

const tablist = document.querySelector('[role="tablist"]');
tablist.addEventListener('click', (e) => {
  const b = e.target.closest('[role="tab"]');
  if (b) selectTab(b.dataset.tab);
});
tablist.addEventListener('keydown', (e) => {
  const i = TABS.indexOf(activeTab);
  const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: TABS.length - 1 }[e.key];
  if (next === undefined) return;
  e.preventDefault();
  selectTab(TABS[(next + TABS.length) % TABS.length], { focus: true });
});

// ------------------------------------------------------------------------------------------- start-up

function showNotice(lines) {
  const n = document.getElementById('notice');
  if (!lines.length) { n.hidden = true; return; }
  // At most six reasons; a link with thousands of bad settings says how many more there were.
  const more = lines.length > 6 ? `; and ${lines.length - 6} more` : '';
  n.textContent = `About the link: ${lines.slice(0, 6).join('; ')}${more}. The other settings are the defaults.`;
  n.hidden = false;
}

function loadState() {
  const st = readHash(location.hash);
  const tab = st.tab || 'cloud';
  const c = controllers[tab];
  const notices = [...st.notices, ...applyValues(c.form, st.values)];
  c.linkValues = st.values;
  hideFlags = st.hide;
  for (const label of c.form.querySelectorAll('[data-field]')) {
    label.hidden = hideFlags.includes('all') || hideFlags.includes(label.dataset.field);
  }
  c.form.querySelector('.params').classList.toggle('locked', hideFlags.includes('all'));
  showNotice(notices);
  selectTab(tab, { save: false });
  return st;
}

for (const t of TABS) controllers[t] = createController(t);
if (EMBED) document.body.dataset.embed = '1';
const initial = loadState();
window.addEventListener('hashchange', () => {
  // A pasted link: apply it (the page's own replaceState does not fire hashchange). A fragment without
  // settings (the skip link's #panels) is navigation, not state.
  if (!location.hash.includes('=')) return;
  const st = loadState();
  if (workerReady) controllers[activeTab].view.applyPreset?.();
  applyValues(controllers[activeTab].form, st.values);
  if (st.autorun && workerReady) controllers[activeTab].start();
});

// The content's own height (documentElement.scrollHeight never drops below the frame's height, so a frame
// could grow but never shrink), posted when it changed since the last message. Frozen while the active tab
// shows results of the user's own file; the frame then scrolls.
function postHeight() {
  if (!EMBED || !FRAMED || controllers[activeTab]?.usesUserData()) return;
  const h = Math.ceil(document.body.getBoundingClientRect().height);
  if (h !== lastHeight) {
    lastHeight = h;
    post('height', { height: h });
  }
}
if (EMBED && FRAMED) new ResizeObserver(postHeight).observe(document.body);

worker = startWorker();
if (initial.autorun) {
  const once = () => {
    if (!workerReady) return setTimeout(once, 50);
    // the preset values arrive with 'ready'; the link's own values were applied before and are kept
    controllers[activeTab].start();
  };
  once();
}

window.momentLab = {
  run: () => controllers[activeTab].start(),
  crashWorker: () => worker.postMessage({ type: 'crash' }),
  // For the e2e test of the restart path: a genuine WebAssembly trap inside the worker.
  trapWorker: () => worker.postMessage({ type: 'trap' }),
  get tab() { return activeTab; },
  selectTab: (t) => TABS.includes(t) && selectTab(t),
};
