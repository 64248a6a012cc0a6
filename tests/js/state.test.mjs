// Unit tests of the URL-hash reader and the control validation (www/lab/state.js) on stand-ins of the
// page's controls (tests/js/controls.mjs). The generated-input fuzz is hash_fuzz.test.mjs.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyValues, readHash, validateControl } from '../../www/lab/state.js';
import { FakeControl, TABS, fakeForm, pageControls } from './controls.mjs';

const controls = pageControls();
const control = (tab, name) => {
  const c = controls[tab].find((x) => x.name === name);
  c.value = c.default;
  return c;
};
const accepts = (c, raw) => !(validateControl(c, raw) instanceof Error);

test('number fields accept only what <input type=number> accepts', () => {
  const seed = control('cloud', 'seed');   // min 0, step 1
  for (const ok of ['5', '0', '-0', '007', '1e3', '1E3', '1e+3', ' 5 ']) assert.ok(accepts(seed, ok), ok);
  for (const bad of ['0x10', '+5', '5.', '.', '-', '1_000', '1,5', '1 000', 'Infinity', 'NaN', '1e', 'e5', '１２', '٣',
    '0b1', '0o7', '5e-1', '1.5', '', '1e400', '9007199254740993']) {
    assert.ok(!accepts(seed, bad), `seed=${JSON.stringify(bad)} must be refused`);
  }
  const lr = control('lth', 'lr');   // min 0, step any
  for (const ok of ['0.001', '.5', '1e-3', '3', '0.5e1']) assert.ok(accepts(lr, ok), ok);
  for (const bad of ['5.', '+.5', '-1', '.e1', '1.e3']) assert.ok(!accepts(lr, bad), bad);
  assert.match(validateControl(seed, '0x10').message, /"0x10" is not a decimal number/);
});

test('values above a maximum or below a minimum are refused with the range', () => {
  const k = control('cloud', 'k');   // [0, 12]
  assert.match(validateControl(k, '13').message, /13 is outside \[0, 12\]/);
  assert.match(validateControl(k, '-1').message, /outside/);
  assert.equal(validateControl(k, '12'), '12');
  const d = control('theory', 'd');   // [10, 1e12]
  assert.equal(validateControl(d, '1e12'), '1e12');
  assert.ok(!accepts(d, '1000000000001'));
});

test('a step other than 1 or any is respected', () => {
  const c = new FakeControl('INPUT', { name: 'res', type: 'number', min: '5', max: '81', step: '2' });
  assert.ok(accepts(c, '41') && accepts(c, '5') && accepts(c, '81'));
  assert.match(validateControl(c, '42').message, /not a multiple of 2/);
  const tenth = new FakeControl('INPUT', { name: 'x', type: 'number', step: '0.1' });
  assert.ok(accepts(tenth, '0.3') && accepts(tenth, '-2.7') && !accepts(tenth, '0.35'));
});

test('a link with 0x10, +5, 5. leaves every field at its default and says why', () => {
  const form = fakeForm(controls.cloud);
  for (const c of controls.cloud) c.value = c.default;
  const st = readHash('#v=1&tab=cloud&seed=0x10&d=%2B5&k=5.&target=.5&dim=3', TABS);
  const notices = applyValues(form, st.values);
  assert.equal(control('cloud', 'seed').value, '1');
  assert.deepEqual(['seed', 'd', 'k', 'target'].map((n) => controls.cloud.find((c) => c.name === n).value), ['1', '1000', '2', '40']);
  assert.equal(controls.cloud.find((c) => c.name === 'dim').value, '3');
  assert.equal(notices.length, 4);
  for (const n of ['seed', 'd', 'k', 'target']) assert.ok(notices.some((x) => x.startsWith(`ignored ${n}:`)), n);
});

test('__proto__ and constructor in a link are unknown settings, reported, and pollute nothing', () => {
  const st = readHash('#v=1&tab=cloud&__proto__=5&constructor=1&__proto__%5Bpolluted%5D=1&toString=2&seed=4', TABS);
  assert.deepEqual(Object.keys(st.values).sort(), ['__proto__', '__proto__[polluted]', 'constructor', 'seed', 'toString']);
  for (const c of controls.cloud) c.value = c.default;
  const notices = applyValues(fakeForm(controls.cloud), st.values);
  for (const name of ['__proto__', 'constructor', 'toString']) {
    assert.ok(notices.includes(`ignored unknown setting "${name}"`), `${name}: ${JSON.stringify(notices)}`);
  }
  assert.equal(controls.cloud.find((c) => c.name === 'seed').value, '4');
  assert.equal(({}).polluted, undefined);
  assert.equal(Object.getPrototypeOf(st.values), null);
});

test('only a control of exactly that name is set (namedItem also matches ids)', () => {
  const seed = new FakeControl('INPUT', { name: 'seed', type: 'number', min: '0', step: '1', value: '1' });
  const form = { elements: { namedItem: (n) => (n === 'seed-id' || n === 'seed' ? seed : null) } };
  assert.deepEqual(applyValues(form, { 'seed-id': '7' }), ['ignored unknown setting "seed-id"']);
  assert.equal(seed.value, '1');
});

test('a value the control itself refuses keeps the old value', () => {
  const picky = new FakeControl('INPUT', { name: 'n', type: 'number', value: '3' });
  Object.defineProperty(picky, 'value', { get() { return this._v ?? '3'; }, set(v) { this._v = v === '5' ? '' : String(v); } });
  const notices = applyValues({ elements: { namedItem: () => picky } }, { n: '5' });
  assert.equal(picky.value, '3');
  assert.match(notices[0], /ignored n: not accepted/);
});

test('a very long link is read without trouble', () => {
  const parts = ['v=1', 'tab=lth'];
  for (let i = 0; i < 20000; i++) parts.push(`p${i}=${'9'.repeat(20)}`);
  parts.push('seed=9');
  const st = readHash(`#${parts.join('&')}`, TABS);
  assert.equal(Object.keys(st.values).length, 20001);
  for (const c of controls.lth) c.value = c.default;
  const notices = applyValues(fakeForm(controls.lth), st.values);
  assert.equal(notices.length, 20000);
  assert.equal(controls.lth.find((c) => c.name === 'seed').value, '9');
});
