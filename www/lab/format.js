// Number formatting for the result text and tables. Never throws: a summary's numbers arrive as JSON, where
// a value that is not finite (an overflow, NaN) is null, and that is shown as NOT_FINITE, not as 0 or an
// exception. No DOM here (tests/js/ import this module in node).

export const NOT_FINITE = '—';
export const NOT_FINITE_TITLE = 'not a finite number: too large for double precision (overflow) or undefined';

// `x` if it is a finite number, else null (null, NaN, ±Infinity, strings, undefined).
export const finite = (x) => (typeof x === 'number' && Number.isFinite(x) ? x : null);

// 1.2e-3 style, 0 as "0".
export function fmtSci(x, digits = 1) {
  const v = finite(x);
  if (v === null) return NOT_FINITE;
  return v === 0 ? '0' : v.toExponential(digits);
}

// Nine significant digits, trailing zeros dropped; exponential outside [1e-3, 1e5).
export function fmtNum(x) {
  const v = finite(x);
  if (v === null) return NOT_FINITE;
  if (Math.abs(v) >= 1e5 || (v !== 0 && Math.abs(v) < 1e-3)) return v.toExponential(6);
  return v.toPrecision(9).replace(/\.?0+$/, '');
}

// `x.toPrecision(p)` or NOT_FINITE.
export function fmtPrec(x, p = 3) {
  const v = finite(x);
  return v === null ? NOT_FINITE : v.toPrecision(p);
}

// A count with thousands separators, or NOT_FINITE.
export function fmtCount(x) {
  const v = finite(x);
  return v === null ? NOT_FINITE : v.toLocaleString('en');
}

export function fmtMs(ms) {
  const v = finite(ms);
  if (v === null) return NOT_FINITE;
  return v < 1000 ? `${Math.round(v)} ms` : `${(v / 1000).toFixed(2)} s`;
}
