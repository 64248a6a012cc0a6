// Fuzz of the URL-hash reader (www/lab/state.js): generated hashes — hostile names (__proto__, constructor,
// …), numbers in every non-canonical spelling, out-of-range values, broken percent-escapes, unicode, very
// long hashes — go through readHash and applyValues onto stand-ins of the page's real controls
// (tests/js/controls.mjs reads them from the view files). Checked for every case:
//   - nothing throws, and the result has its documented shape;
//   - a number field is never emptied: every value set is one the browser accepts (an independent
//     scanner of the HTML "valid floating-point number"), within the control's min/max and step;
//   - every setting is either applied or reported in exactly one notice;
//   - Object.prototype is untouched;
//   - a link made by makeHash from valid values reads back to the same values.
//
//   node --test tests/js/                                   10^4 cases (HASH_FUZZ_CASES to change)
//   node tests/js/hash_fuzz.test.mjs --cases 1000000 [--seed N]
// Prints "hash fuzz: N cases, S s, 0 exceptions, 0 property failures (seed X)".

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyValues, makeHash, readHash, validateControl } from '../../www/lab/state.js';
import { TABS, fakeForm, isValidFloat, pageControls } from './controls.mjs';

const argValue = (name) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const CASES = Number(argValue('--cases') ?? process.env.HASH_FUZZ_CASES ?? 10_000);
const SEED = Number(argValue('--seed') ?? process.env.HASH_FUZZ_SEED ?? 20_260_514) >>> 0;

// mulberry32: small, seedable, good enough to pick test inputs.
function rng(seed) {
  let a = seed;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n) => Math.floor(next() * n);
  const pick = (xs) => xs[int(xs.length)];
  return { next, int, pick, chance: (p) => next() < p };
}

const CONTROLS = pageControls();
const NAMES = [...new Set(Object.values(CONTROLS).flat().map((c) => c.name))];
const HOSTILE_NAMES = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty',
  '__defineGetter__', 'elements', 'namedItem', 'length', '0', '', '__proto__[polluted]', 'constructor.prototype'];
const ODD_NUMBERS = ['0x10', '+5', '5.', '.5', '-.5', '0b1', '0o7', '1e', 'e5', '--5', '5-', '.', '-', '', '1.2.3',
  '1e5.5', '1e+', 'Infinity', '-Infinity', 'NaN', '1e400', '-1e400', '1e-400', ' 5 ', '\t5', '5\u00a0', '５', '١٢',
  '1_000', '1,5', '1 000', 'ⅷ', '0.', '00', '-0', '1E3', '1e+3', '1e-3', '9'.repeat(250), `${'0'.repeat(199)}1`,
  `1${'0'.repeat(30)}`, '4294967296', '9007199254740993', '1e21', '0.1e1', '2.50', '99999999999999999999',
  'true', 'false', '1', '0', 'null', 'undefined', '[]', '{}', '5e-1', '-5', '13', '1000001', '1e12', '1e13'];
const CHARS = 'abcXYZ019_-.,:+ =&#%?/\\"\'<>\u00e9\u4e2d\ud83d\ude00\u0000\u202e\ufeff\u00a0';

function randomString(r, max = 12) {
  let s = '';
  for (let n = r.int(max + 1); n > 0; n--) s += r.chance(0.8) ? r.pick(CHARS) : String.fromCharCode(r.int(0xd800));
  return s;
}

function randomNumberText(r, control) {
  const min = control?.min !== '' && control?.min !== undefined ? Number(control.min) : -1000;
  const max = control?.max !== '' && control?.max !== undefined ? Number(control.max) : 1e9;
  switch (r.int(6)) {
    case 0: return r.pick(ODD_NUMBERS);
    case 1: return String(Math.round(min + r.next() * Math.min(max - min, 1e7)));
    case 2: return String(min - 1 - r.int(10));
    case 3: return String(max + 1 + r.int(10));
    case 4: return `${r.int(100)}.${r.int(1000)}${r.chance(0.3) ? `e${r.pick(['', '+', '-'])}${r.int(30)}` : ''}`;
    default: {
      const canon = String(r.int(1000));
      return r.pick([`+${canon}`, `${canon}.`, `0x${canon}`, ` ${canon}`, `${canon}e`, `.${canon}`, `-${canon}`, `${canon}${randomString(r, 2)}`]);
    }
  }
}

function randomValue(r, name, tab) {
  const control = TABS.includes(tab) ? CONTROLS[tab].find((c) => c.name === name) : undefined;
  if (control?.tagName === 'SELECT' && r.chance(0.6)) return r.pick(control.options).value;
  if (control?.type === 'checkbox' && r.chance(0.6)) return r.pick(['0', '1', 'true', 'false', '', 'yes', '2']);
  if (r.chance(0.7)) return randomNumberText(r, control?.type === 'number' ? control : undefined);
  return randomString(r, r.chance(0.02) ? 300 : 12);
}

const encoders = [
  (s) => encodeURIComponent(s.toWellFormed()),
  (s) => s,
  (s) => s.replace(/ /g, '+'),
  (s) => `${s}%${randomHex()}`,
];
let hexState = 1;
function randomHex() {
  hexState = (hexState * 48271) % 2147483647;
  return ['', 'E0', 'E0%A4%A', 'zz', '%', 'C3', 'FF', '00'][hexState % 8];
}

function randomHash(r) {
  const tab = r.chance(0.85) ? r.pick(TABS) : r.pick(['', 'nope', '__proto__', 'Cloud', randomString(r, 6)]);
  const pairs = [];
  if (r.chance(0.8)) pairs.push(['v', r.chance(0.85) ? '1' : r.pick(['2', '', 'x', '1.0'])]);
  if (r.chance(0.9)) pairs.push(['tab', tab]);
  const n = r.chance(0.002) ? 200 + r.int(2000) : r.int(10);
  for (let i = 0; i < n; i++) {
    const known = CONTROLS[TABS.includes(tab) ? tab : 'cloud'].map((c) => c.name);
    const name = r.chance(0.55) ? r.pick(known) : r.chance(0.5) ? r.pick(HOSTILE_NAMES) : r.chance(0.5) ? r.pick(NAMES) : randomString(r, 8);
    pairs.push([name, randomValue(r, name, tab)]);
  }
  if (r.chance(0.2)) pairs.push(['hide', Array.from({ length: r.int(4) }, () => (r.chance(0.7) ? r.pick(NAMES) : randomString(r, 5))).join(',')]);
  if (r.chance(0.2)) pairs.push(['autorun', r.pick(['1', '0', 'true', ''])]);
  for (let i = pairs.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [pairs[i], pairs[j]] = [pairs[j], pairs[i]];
  }
  const enc = r.pick(encoders);
  const body = pairs.map(([k, v]) => (r.chance(0.03) ? enc(k) : `${enc(k)}=${enc(v)}`)).join(r.chance(0.95) ? '&' : r.pick(['&&', ';', '&=&']));
  return (r.chance(0.85) ? '#' : '') + body;
}

// What a control accepts, decided independently of validateControl.
function oracle(control, raw) {
  const text = String(raw).trim();
  if (text.length > 200) return false;
  if (control.tagName === 'SELECT') return control.options.some((o) => o.value === text);
  if (control.type === 'checkbox') return ['0', '1', 'true', 'false', ''].includes(text);
  if (control.type === 'number') {
    if (!isValidFloat(text)) return false;
    const v = Number(text);
    if (!Number.isFinite(v)) return false;
    if (control.min !== '' && v < Number(control.min)) return false;
    if (control.max !== '' && v > Number(control.max)) return false;
    if (control.step === 'any') return true;
    return Number.isSafeInteger(v);   // every other number control of the page has step 1
  }
  return /^[\w.,:+\- ]*$/.test(text);
}

const PROTO_KEYS = Object.getOwnPropertyNames(Object.prototype).join();

function checkCase(r) {
  const hash = randomHash(r);
  const st = readHash(hash, TABS);
  assert.ok(st.tab === null || TABS.includes(st.tab), `tab ${st.tab}`);
  assert.equal(typeof st.autorun, 'boolean');
  assert.ok(Array.isArray(st.hide) && st.hide.every((h) => /^[\w-]{1,40}$/.test(h)), 'hide');
  assert.ok(Array.isArray(st.notices) && st.notices.every((n) => typeof n === 'string'), 'notices');
  // The settings the link holds, read independently (the last of repeated names wins, as in the page).
  const given = new Map();
  if (hash.includes('=')) {
    for (const [k, v] of new URLSearchParams(hash.replace(/^#/, ''))) if (!['v', 'tab', 'hide', 'autorun'].includes(k)) given.set(k, v);
  }
  const keys = Object.keys(st.values);
  assert.ok(keys.every((k) => typeof st.values[k] === 'string'), 'values are strings');
  assert.deepEqual(keys.sort(), [...given.keys()].sort(), 'every setting of the link is read, whatever its name');

  const controls = CONTROLS[st.tab || 'cloud'];
  for (const c of controls) {
    c.value = c.default;
    c.checked = false;
  }
  const before = controls.map((c) => c.value);
  const notices = applyValues(fakeForm(controls), st.values);
  assert.ok(Array.isArray(notices) && notices.every((n) => typeof n === 'string'), 'applyValues notices');
  let accepted = 0;
  for (const [k, v] of given) {
    const c = controls.find((x) => x.name === k);
    if (c && oracle(c, v)) accepted++;
  }
  assert.equal(notices.length, given.size - accepted,
    `every setting is applied or reported once: ${JSON.stringify([...given])} -> ${JSON.stringify(notices)}`);
  controls.forEach((c, i) => {
    if (c.type === 'number') {
      assert.notEqual(c.value, '', `${c.name} was emptied by ${JSON.stringify(st.values[c.name])}`);
      if (c.value !== before[i]) assert.ok(oracle(c, c.value), `${c.name} = ${JSON.stringify(c.value)} accepted`);
    }
    if (c.tagName === 'SELECT') assert.ok(c.options.some((o) => o.value === c.value), `${c.name} = ${c.value}`);
  });
  assert.equal(Object.getOwnPropertyNames(Object.prototype).join(), PROTO_KEYS, 'Object.prototype changed');
  assert.equal(({}).polluted, undefined);
  return hash.length;
}

// A link the page makes from valid values reads back to the same state.
function checkRoundTrip(r) {
  const tab = r.pick(TABS);
  const values = {};
  for (const c of CONTROLS[tab]) {
    if (r.chance(0.3)) continue;
    let v;
    for (let tries = 0; tries < 20 && v === undefined; tries++) {
      const cand = randomValue(r, c.name, tab).trim();
      if (oracle(c, cand) && validateControl(c, cand) === cand) v = cand;
    }
    if (v !== undefined) values[c.name] = v;
  }
  const hide = r.chance(0.3) ? [r.pick(CONTROLS[tab]).name] : [];
  const autorun = r.chance(0.3);
  const st = readHash(makeHash(tab, values, { hide, autorun }), TABS);
  assert.equal(st.tab, tab);
  assert.deepEqual({ ...st.values }, values);
  assert.deepEqual(st.hide, hide);
  assert.equal(st.autorun, autorun);
  assert.deepEqual(st.notices, []);
}

export function fuzz(cases = CASES, seed = SEED) {
  const r = rng(seed);
  const t0 = performance.now();
  let exceptions = 0;
  let failures = 0;
  let longest = 0;
  const examples = [];
  for (let i = 0; i < cases; i++) {
    try {
      longest = Math.max(longest, checkCase(r));
      if (i % 10 === 0) checkRoundTrip(r);
    } catch (e) {
      if (e instanceof assert.AssertionError) failures++;
      else exceptions++;
      if (examples.length < 5) examples.push(`case ${i}: ${e.message.slice(0, 300)}`);
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  console.log(`hash fuzz: ${cases} cases, ${seconds.toFixed(1)} s, ${exceptions} exceptions, ${failures} property failures `
    + `(seed ${seed}; longest hash ${longest} chars)`);
  return { exceptions, failures, examples };
}

test(`URL-hash reader: ${CASES} generated hashes`, () => {
  const { exceptions, failures, examples } = fuzz();
  assert.equal(exceptions + failures, 0, examples.join('\n'));
});
