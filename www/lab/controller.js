// One experiment's tab: its run controls (Run, Stop, Resume, Reset) with progress and ETA, its errors, and
// the messages of its runs. The page shell (www/main.js) owns the worker and hands each controller `shell`:
// {worker, workerReady, presets, hideFlags, controllers, byRunId, factories, newRunId(), post(type, extra),
// restartWorker(), postHeight()}. The view (www/lab/<tab>.js) draws; this file only drives.

import { applyValues, formValues, makeHash, readForm } from './state.js';
import { fmtMs } from './format.js';

// Without an acknowledgement ('stopped') of a Stop within this time, the worker is busy in one long call
// (a run's set-up): it is restarted.
const STOP_ACK_MS = 1000;

export function createController(tab, shell) {
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
    get presets() { return shell.presets; },
    clearError, showError,
    run: () => start(),
    nmoments: (m, k) => shell.workerReady && shell.worker.postMessage({ type: 'nmoments', m, k }),
    query: (what, args) => runId && shell.worker.postMessage({ type: 'query', runId, what, args }),
    // A query whose answer comes back as a promise (null without a run).
    ask: (what, args) => new Promise((resolve, reject) => {
      if (!runId) return resolve(null);
      asks.set(what, { resolve, reject });
      shell.worker.postMessage({ type: 'query', runId, what, args });
    }),
  };
  const view = shell.factories[tab](ctx);

  function setButtons() {
    runBtn.disabled = !shell.workerReady;
    stopBtn.disabled = state !== 'running';
    resumeBtn.disabled = state !== 'paused' || !shell.workerReady;
    resetBtn.disabled = !shell.workerReady || !lastConfig;
    if (state === 'running') document.body.dataset.running = '1';
    else if (!Object.values(shell.controllers).some((c) => c.state === 'running')) delete document.body.dataset.running;
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
    if (runId) shell.worker.postMessage({ type: 'stop', runId });
    for (const ask of asks.values()) ask.resolve(null);   // their run is being replaced
    asks.clear();
    clearTimeout(stopTimer);
    keepStatus = false;
    shell.byRunId.delete(runId);
    // One worker computes one run at a time: a run in another tab ends there.
    for (const c of Object.values(shell.controllers)) if (c !== controller) c.interrupt(tab);
    runId = shell.newRunId();
    shell.byRunId.set(runId, controller);
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
    shell.worker.postMessage({ type: 'start', runId, kind: job.kind, config: job.config, csv: job.csv ?? null });
    shell.postHeight();   // a run on the built-in data ends a freeze of the height messages
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
        shell.post('done', usesUserData() ? { userData: true } : { summary: msg.summary });
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
        if (msg.fatal) shell.restartWorker();
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
    shell.post('error', userData ? { userData: true } : { message });
  }

  // Stop is a message the worker reads between slices of work; a run still in one long call (its set-up)
  // cannot read it. Without 'stopped' in time the worker is replaced: the run is lost, the page is free.
  function forceStop() {
    if (state !== 'running') return;
    shell.restartWorker();
    keepStatus = true;
    status.textContent = `stopped: the run was ${settingUp ? 'still setting up' : 'in one long step'} and could not pause, so the compute worker was restarted. This run cannot be resumed; Run starts again.`;
  }

  // The link of the run on screen (`values`: the form as it was when the run started), else of the form.
  function saveHash(values = lastConfig?.values || formValues(form)) {
    const hash = makeHash(tab, values, { hide: shell.hideFlags });
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
    shell.worker.postMessage({ type: 'stop', runId });
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
    shell.worker.postMessage({ type: 'resume', runId });
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
      shell.byRunId.delete(runId);
      runId = 0;
      setButtons();
    },
    interrupt(by) {
      if (state !== 'running' && state !== 'paused') return;
      clearTimeout(stopTimer);
      shell.byRunId.delete(runId);
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
