// The URL hash holds the whole experiment: `#v=1&tab=lth&seed=42&width=2000&…&hide=seed,lr&autorun=1`.
// Every value is validated against the form's own constraints (type, min, max, the options of a select)
// before it is set with `.value`; nothing from the hash is ever inserted as HTML. Anything invalid or
// unknown is dropped and reported, and the control keeps its default.

export const STATE_VERSION = '1';
const META = new Set(['v', 'tab', 'hide', 'autorun']);

// What an <input type=number> accepts as its value (the HTML "valid floating-point number"): an optional
// minus, digits with an optional fraction (or a fraction alone, ".5"), an optional exponent. Anything else
// ("0x10", "+5", "5.", "1_000", "Infinity", full-width digits) the browser silently turns into an empty
// field, so it is refused here with a message instead.
const DECIMAL = /^-?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?$/;

// The step of a number control as a number, or null for step="any" (HTML: a missing or invalid step is 1).
function stepOf(control) {
  if (String(control.step).toLowerCase() === 'any') return null;
  const s = Number(control.step);
  return control.step !== '' && Number.isFinite(s) && s > 0 ? s : 1;
}

// The value of a control as a string, or an Error explaining why `raw` is not acceptable.
export function validateControl(control, raw) {
  const text = String(raw).trim();
  if (text.length > 200) return new Error('too long');
  if (control.tagName === 'SELECT') {
    return [...control.options].some((o) => o.value === text) ? text : new Error(`not one of the choices`);
  }
  if (control.type === 'checkbox') {
    if (text === '1' || text === 'true') return '1';
    if (text === '0' || text === 'false' || text === '') return '0';
    return new Error('must be 0 or 1');
  }
  if (control.type === 'number') {
    if (text === '') return new Error('is empty');
    if (!DECIMAL.test(text)) return new Error(`"${text.slice(0, 20)}" is not a decimal number`);
    const v = Number(text);
    if (!Number.isFinite(v)) return new Error(`"${text.slice(0, 20)}" is too large`);
    const min = control.min === '' ? -Infinity : Number(control.min);
    const max = control.max === '' ? Infinity : Number(control.max);
    if (v < min || v > max) return new Error(`${v} is outside [${control.min || '−∞'}, ${control.max || '∞'}]`);
    const step = stepOf(control);
    if (step === 1 && !Number.isSafeInteger(v)) return new Error(`${v} is not a whole number`);
    if (step !== null && step !== 1) {
      const q = (v - (Number.isFinite(min) ? min : 0)) / step;
      if (Math.abs(q - Math.round(q)) > 1e-9 * Math.max(1, Math.abs(q))) return new Error(`${v} is not a multiple of ${control.step}`);
    }
    return text;
  }
  // text inputs: printable characters only
  return /^[\w.,:+\- ]*$/.test(text) ? text : new Error('contains characters that are not allowed');
}

// `tabs`: the names a link may give as `tab` (the page's tabs, lab/views.js).
export function readHash(hash, tabs) {
  const notices = [];
  let params;
  try {
    params = new URLSearchParams(hash.replace(/^#/, ''));
  } catch {
    return { tab: null, values: Object.create(null), hide: [], autorun: false, notices: ['the link could not be read'] };
  }
  // No settings at all (an empty hash, or an in-page anchor such as the skip link's #panels): the defaults.
  if (!hash.includes('=') || ![...params.keys()].length) return { tab: null, values: Object.create(null), hide: [], autorun: false, notices };
  const v = params.get('v');
  if (v !== STATE_VERSION) {
    notices.push(v === null ? 'the link has no version (v=1); reading it anyway' : `the link is for version ${String(v).slice(0, 8)}; reading what fits`);
  }
  let tab = params.get('tab');
  if (tab !== null && !tabs.includes(tab)) {
    notices.push('unknown experiment in the link; showing the first one');
    tab = null;
  }
  // A prototype-less object: "__proto__" or "constructor" in a link are ordinary (unknown) names.
  const values = Object.create(null);
  for (const [k, val] of params) if (!META.has(k)) values[k] = val;
  const hide = (params.get('hide') || '').split(',').map((s) => s.trim()).filter((s) => /^[\w-]{1,40}$/.test(s));
  return { tab, values, hide, autorun: params.get('autorun') === '1', notices };
}

// Applies `values` to the named controls of `form`; returns the notices for what was rejected.
export function applyValues(form, values) {
  const notices = [];
  for (const [name, raw] of Object.entries(values)) {
    // namedItem also matches an element's id; only a control of exactly that name counts.
    const control = form.elements.namedItem(name);
    if (!control || control.name !== name || control.type === 'file') {
      notices.push(`ignored unknown setting "${name.slice(0, 30)}"`);
      continue;
    }
    const ok = validateControl(control, raw);
    if (ok instanceof Error) {
      notices.push(`ignored ${name}: ${ok.message}`);
      continue;
    }
    if (control.type === 'checkbox') {
      control.checked = ok === '1';
    } else {
      const before = control.value;
      control.value = ok;
      // Should the browser still refuse the value, keep the old one rather than an empty field.
      if (control.value !== ok) {
        control.value = before;
        notices.push(`ignored ${name}: not accepted by the control`);
      }
    }
  }
  return notices;
}

export function formValues(form) {
  const out = {};
  for (const c of form.elements) {
    if (!c.name || c.type === 'file') continue;
    out[c.name] = c.type === 'checkbox' ? (c.checked ? '1' : '0') : c.value;
  }
  return out;
}

export function makeHash(tab, values, { hide = [], autorun = false } = {}) {
  const p = new URLSearchParams({ v: STATE_VERSION, tab });
  for (const [k, v] of Object.entries(values)) p.set(k, v);
  if (hide.length) p.set('hide', hide.join(','));
  if (autorun) p.set('autorun', '1');
  return `#${p}`;
}

// Reads and validates every control of a form: {name: number | string | boolean}. Throws with a message
// naming the control when a value is not acceptable.
export function readForm(form) {
  const out = {};
  for (const c of form.elements) {
    if (!c.name || c.type === 'file') continue;
    const label = c.closest('label')?.querySelector('span')?.textContent || c.name;
    const ok = validateControl(c, c.type === 'checkbox' ? (c.checked ? '1' : '0') : c.value);
    if (ok instanceof Error) throw new Error(`${label}: ${ok.message}`);
    if (c.type === 'checkbox') out[c.name] = ok === '1';
    else if (c.type === 'number') out[c.name] = Number(ok);
    else out[c.name] = ok;
  }
  return out;
}
