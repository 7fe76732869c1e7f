// Go duration syntax, because Centrifugo configs are written in it
// ("25s", "1m30s", "720h"). Everything in Tributary works in milliseconds.

const NS_PER_UNIT: Record<string, number> = {
  ns: 1,
  us: 1e3,
  'µs': 1e3, // U+00B5 micro sign
  'μs': 1e3, // U+03BC Greek mu; Go accepts both
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

// Go's time.Duration is an int64 of nanoseconds; beyond this it reports overflow.
const MAX_NS = 2 ** 63 - 1;

const COMPONENT = /^(\d*)(?:\.(\d*))?([a-zµμ]+)/;

/** Parses a Go duration string (time.ParseDuration semantics) into milliseconds. */
export function parseDuration(input: string): number {
  const fail = (why: string): never => {
    throw new Error(`invalid duration ${JSON.stringify(input)}: ${why} (use Go syntax such as "25s", "1m30s", "100ms", "720h")`);
  };
  let s = input;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  // Go special-cases a bare zero; every other number needs a unit.
  if (s === '0') return 0;
  if (s === '') fail('empty');

  let ns = 0;
  while (s !== '') {
    const m = COMPONENT.exec(s);
    if (!m) fail(/^[\d.]+$/.test(s) ? 'missing unit' : 'bad syntax');
    const [whole, int = '', frac = '', unit = ''] = m!;
    if (int === '' && frac === '') fail('a number is required before the unit');
    const scale = NS_PER_UNIT[unit];
    if (scale === undefined) fail(`unknown unit ${JSON.stringify(unit)}`);
    ns += Number(`${int || '0'}.${frac || '0'}`) * scale!;
    s = s.slice(whole.length);
  }
  if (ns > MAX_NS) fail('overflows the int64 nanosecond range');
  // Go keeps whole nanoseconds; truncate the same way so "1.0000001ns" is 1ns.
  return (sign * Math.trunc(ns)) / 1e6;
}

/**
 * Converts a config value to milliseconds. Strings are Go durations; numbers are
 * nanoseconds, as in Centrifugo's JSON decoding (so `25` is 25ns, not 25s).
 */
export function durationToMs(value: unknown): number {
  if (typeof value === 'string') return parseDuration(value.trim());
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`invalid duration ${value}: not a finite number`);
    return Math.trunc(value) / 1e6;
  }
  throw new Error(`invalid duration ${JSON.stringify(value)}: expected a string like "25s" or a number of nanoseconds`);
}
