// Drives bench-worker.js and draws its rows. Sets body[data-done] and window.benchResults for scripts.
const params = new URLSearchParams(location.search);
const worker = new Worker(new URL('./bench-worker.js', import.meta.url), { type: 'module' });
const rows = document.getElementById('rows');
const status = document.getElementById('status');
window.benchResults = [];

function cell(text) {
  const td = document.createElement('td');
  td.textContent = text;
  return td;
}

worker.onmessage = ({ data }) => {
  if (data.type === 'row') {
    window.benchResults.push(data.row);
    const r = data.row;
    const tr = document.createElement('tr');
    tr.append(
      cell(`m=${r.dim} k=${r.order} ${r.d}→${r.target}`), cell(r.strategy), cell(r.best_seconds.toFixed(4)),
      cell(String(r.kept)), cell(r.residual.toExponential(1)), cell(r.fig2_error.toExponential(2)));
    rows.append(tr);
    status.textContent = `ran ${window.benchResults.length} case(s)…`;
  } else if (data.type === 'done') {
    status.textContent = `done (simd128: ${data.simd})`;
    document.body.dataset.done = '1';
  } else if (data.type === 'error') {
    status.textContent = `error: ${data.message}`;
    document.body.dataset.done = '1';
    document.body.dataset.error = data.message;
  }
};
worker.postMessage({ type: 'start', cases: params.get('cases') || 'full' });
