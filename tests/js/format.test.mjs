// The result formatters (www/lab/format.js): a value that is not finite (null in the summary's JSON, NaN,
// ±Infinity) is shown as NOT_FINITE, never as 0, and nothing throws.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NOT_FINITE, fmtCount, fmtMs, fmtNum, fmtPrec, fmtSci } from '../../www/lab/format.js';

const odd = [null, undefined, NaN, Infinity, -Infinity, '12', {}, [], true];

test('non-finite values are marked, not shown as 0, and never throw', () => {
  for (const f of [fmtNum, fmtSci, fmtPrec, fmtCount, fmtMs]) {
    for (const x of odd) assert.equal(f(x), NOT_FINITE, `${f.name}(${String(x)})`);
  }
});

test('finite values as before', () => {
  assert.equal(fmtSci(0), '0');
  assert.equal(fmtSci(1.234e-12), '1.2e-12');
  assert.equal(fmtNum(0), '0');
  assert.equal(fmtNum(1000), '1000');
  assert.equal(fmtNum(1.5), '1.5');
  assert.equal(fmtNum(1e200), '1.000000e+200');
  assert.equal(fmtNum(-2.5e-7), '-2.500000e-7');
  assert.equal(fmtPrec(0.123456, 3), '0.123');
  assert.equal(fmtCount(1234567), '1,234,567');
  assert.equal(fmtMs(999.6), '1000 ms');
  assert.equal(fmtMs(1500), '1.50 s');
});
