// Script of the example blog post (www/blog-example.html): sizes every plain <iframe data-moment-lab> from
// the lab's 'height' messages and shows a one-line status under each embedded experiment. The
// <moment-lab> element sizes itself (www/embed.js); here we only listen to its events.
// A separate file (not an inline script) so the page's Content-Security-Policy can be script-src 'self'.

const frames = () => [...document.querySelectorAll('iframe[data-moment-lab]')];

function setStatus(id, text, state) {
  const el = document.querySelector(`[data-status-for="${id}"]`);
  if (!el) return;
  el.textContent = text;
  el.dataset.state = state;
}

const STATUS = {
  ready: ['Running in your browser…', 'running'],
  done: ['Finished — the numbers above were computed on this page.', 'done'],
};

function show(id, msg) {
  // After a run on the reader's own file the lab sends no message text (nothing derived from the file).
  if (msg.type === 'error') setStatus(id, msg.message ? `The experiment stopped: ${msg.message}` : 'The experiment stopped; the lab says why.', 'error');
  else if (STATUS[msg.type]) setStatus(id, ...STATUS[msg.type]);
}

// Plain iframes: accept a message only from the frame's own window and only with source 'moment-lab'.
window.addEventListener('message', (event) => {
  const msg = event.data;
  if (!msg || typeof msg !== 'object' || msg.source !== 'moment-lab') return;
  const frame = frames().find((f) => f.contentWindow === event.source);
  if (!frame) return;
  if (msg.type === 'height') {
    const h = Number(msg.height);
    if (Number.isFinite(h) && h > 0) frame.style.height = `${Math.min(20000, Math.ceil(h))}px`;
  } else {
    if (msg.type === 'done') frame.dataset.done = '1';
    show(frame.id, msg);
  }
});

// <moment-lab> elements: their events bubble.
for (const type of ['ready', 'done', 'error']) {
  document.addEventListener(`moment-lab-${type}`, (event) => {
    if (event.target.id) show(event.target.id, event.detail);
  });
}
