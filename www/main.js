// The page shell: tabs, one compute worker shared by all experiments, the URL hash, embed mode and errors.
// Each tab's run controls (run, stop, resume, reset) with progress and ETA are lab/controller.js; each
// experiment's view (its tab's markup and its drawing) lives in www/lab/<tab>.js, listed in lab/views.js;
// nothing here computes more than a frame's worth.
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

import { applyValues, readHash } from './lab/state.js';
import { LAB_VERSION, embedOptions, labMessage } from './lab/embedding.js';
import { createController } from './lab/controller.js';
import { buildTabs } from './lab/panel.js';
import { VIEWS } from './lab/views.js';

const EMBED_OPTIONS = embedOptions(location.search);
const EMBED = EMBED_OPTIONS.embed;
const FRAMED = window.parent !== window;
if (EMBED_OPTIONS.problem) console.warn(EMBED_OPTIONS.problem);
// The tabs, in order, and their views' factories: all from the views' descriptors (lab/views.js).
const TABS = VIEWS.map((v) => v.kind);
const factories = Object.fromEntries(VIEWS.map((v) => [v.kind, v.create]));

let worker = null;
let workerReady = false;
let presets = null;
let everReady = false;   // the first 'ready' fills the forms from the presets; a restarted worker leaves them
let nextRunId = 1;
let activeTab = TABS[0];
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
    for (const c of Object.values(controllers)) c.view.hint?.(msg);
    return;
  }
  const c = byRunId.get(msg.runId);
  if (c) c.onMessage(msg);
  else if (msg.type === 'error' && (msg.runId === 0 || msg.fatal)) {
    controllers[activeTab].fail(msg.message);
    if (msg.fatal) restartWorker();   // a trap outside any run on this page: the instance is still unusable
  }
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

// The tab bar and the panels, built before anything reads them (the first paint shows the linked tab).
const tablist = document.querySelector('[role="tablist"]');
buildTabs(VIEWS, tablist, document.getElementById('panels'));
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
  const st = readHash(location.hash, TABS);
  const tab = st.tab || TABS[0];
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

// What a tab's controller (lab/controller.js) may use of the shell.
const shell = {
  get worker() { return worker; },
  get workerReady() { return workerReady; },
  get presets() { return presets; },
  get hideFlags() { return hideFlags; },
  controllers, byRunId, factories,
  newRunId: () => nextRunId++,
  post, restartWorker, postHeight,
};
for (const t of TABS) controllers[t] = createController(t, shell);
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
