// Stand-ins for the page's form controls in node, read from the views' tab descriptors themselves
// (www/lab/views.js lists the view files; each one's `fields` and `formEnd` markup is its form), so the tests
// see the real min/max/step/options, with the value sanitisation of an HTML <input type=number>: a value that is not a
// valid floating-point number becomes '' (what Chromium does, per the HTML spec).

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

// HTML "valid floating-point number", written as a scanner (independent of the regex in www/lab/state.js).
export function isValidFloat(s) {
  let i = 0;
  const digits = () => {
    const j = i;
    while (i < s.length && s[i] >= '0' && s[i] <= '9') i++;
    return i - j;
  };
  if (s[i] === '-') i++;
  const whole = digits();
  let frac = 0;
  if (s[i] === '.') {
    i++;
    frac = digits();
    if (frac === 0) return false;
  }
  if (whole === 0 && frac === 0) return false;
  if (s[i] === 'e' || s[i] === 'E') {
    i++;
    if (s[i] === '+' || s[i] === '-') i++;
    if (digits() === 0) return false;
  }
  return i === s.length;
}

const attrs = (tag) => Object.fromEntries([...tag.matchAll(/([\w-]+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));

export class FakeControl {
  constructor(tagName, a, options = []) {
    this.tagName = tagName;
    this.name = a.name;
    this.type = tagName === 'SELECT' ? 'select-one' : a.type || 'text';
    this.min = a.min ?? '';
    this.max = a.max ?? '';
    this.step = a.step ?? '';
    this.options = options.map((value) => ({ value }));
    this.checked = false;
    this._value = '';
    this.value = tagName === 'SELECT' ? (options.find((o) => o.selected) || options[0] || { value: '' }).value : a.value ?? '';
    this.default = this.value;
  }

  get value() { return this._value; }

  set value(v) {
    const s = String(v);
    if (this.type === 'number') this._value = isValidFloat(s) && Number.isFinite(Number(s)) ? s : '';
    else if (this.tagName === 'SELECT') this._value = this.options.some((o) => o.value === s) ? s : '';
    else this._value = s.replace(/[\r\n]/g, '');
  }
}

// The page's experiments in tab order: [{kind, form}], `form` the markup of its settings and the rest of its
// form (the view file's text from `fields:` to `body:`).
export function pageForms() {
  const lab = join(ROOT, 'www', 'lab');
  const list = readFileSync(join(lab, 'views.js'), 'utf8');
  const files = Object.fromEntries([...list.matchAll(/import \{ tab as (\w+) \} from '\.\/([\w-]+\.js)';/g)].map((m) => [m[1], m[2]]));
  const order = list.match(/export const VIEWS = \[([^\]]*)\]/)[1].split(',').map((n) => n.trim());
  return order.map((name) => {
    const text = readFileSync(join(lab, files[name]), 'utf8');
    const kind = text.match(/^export const tab = \{\n {2}kind: '(\w+)',/m)[1];
    return { kind, form: text.slice(text.indexOf('  fields: `'), text.indexOf('  body: `')) };
  });
}

// The names a link may give as `tab`.
export const TABS = pageForms().map((f) => f.kind);

// {tab: [FakeControl]} for every experiment's form.
export function pageControls() {
  const out = {};
  for (const { kind, form } of pageForms()) {
    const controls = [];
    for (const t of form.matchAll(/<input\b[^>]*>/g)) {
      const a = attrs(t[0]);
      if (a.name) controls.push(new FakeControl('INPUT', a));
    }
    for (const t of form.matchAll(/<select\b([^>]*)>([\s\S]*?)<\/select>/g)) {
      const a = attrs(t[1]);
      const options = [...t[2].matchAll(/<option\b([^>]*)>/g)].map((o) => ({ value: attrs(o[1]).value, selected: /\bselected\b/.test(o[1]) }));
      controls.push(new FakeControl('SELECT', a, options.map((o) => o.value)));
      const sel = controls.at(-1);
      sel.value = (options.find((o) => o.selected) || options[0]).value;
      sel.default = sel.value;
    }
    out[kind] = controls;
  }
  return out;
}

// A form over `controls`: form.elements.namedItem(name) as the DOM has it (by name or id), iteration.
export function fakeForm(controls) {
  const byName = new Map(controls.map((c) => [c.name, c]));
  const elements = [...controls];
  elements.namedItem = (name) => byName.get(name) ?? null;
  return { elements };
}
