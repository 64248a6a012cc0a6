// A tab's "your own CSV" input: reads the chosen file (refusing files above MAX_UPLOAD_BYTES with a message
// in the tab's error box), shows its name and a "back to the built-in data" button, and disables the
// controls the file replaces. The text is handed to the experiment, which sends it to the worker; parsing
// and every check of the contents happen in Rust.

export const MAX_UPLOAD_BYTES = 64 * 1024 * 1024;

// disables: names of the form controls the file determines. Returns {text(), name(), clear()}.
export function csvUpload(ctx, { disables, onLoad = () => {}, onClear = () => {} }) {
  const { q } = ctx;
  const form = ctx.section.querySelector('form');
  const input = q('[data-role="csv"]');
  const label = q('[data-role="csv-name"]');
  const clear = q('[data-role="csv-clear"]');
  let text = null;
  let name = '';
  const setControls = (off) => {
    for (const n of disables) form.elements[n].disabled = off;
    label.hidden = !off;
    clear.hidden = !off;
  };
  input.addEventListener('change', async () => {
    const file = input.files[0];
    if (!file) return;
    ctx.clearError();
    if (file.size > MAX_UPLOAD_BYTES) {
      ctx.showError(`${file.name} is ${(file.size / 2 ** 20).toFixed(0)} MB; the page accepts CSV files up to 64 MB (10^6 rows). Use the CLI for larger ones.`);
      input.value = '';
      return;
    }
    try {
      text = await file.text();
    } catch (e) {
      ctx.showError(`could not read ${file.name}: ${e.message}`);
      return;
    }
    name = file.name;
    label.textContent = `using ${file.name}`;
    setControls(true);
    onLoad();
    ctx.run();
  });
  // Back to the built-in data (the tab's error box is left as it is).
  const drop = () => {
    text = null;
    name = '';
    input.value = '';
    setControls(false);
    onClear();
  };
  clear.addEventListener('click', drop);
  return { text: () => text, name: () => name, clear: drop };
}
