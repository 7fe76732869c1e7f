// How Go spells booleans, integers, durations and regular expressions.
// Centrifugo configs (and the token claims checked against audience_regex or
// issuer_regex) are written for Go, so Tributary reads them the way Go does.

const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** Go strconv.ParseBool. */
export function parseGoBool(s: string): boolean {
  if (TRUE.has(s)) return true;
  if (FALSE.has(s)) return false;
  throw new Error(`${JSON.stringify(s)} is not a boolean (use true/false, 1/0, t/f)`);
}

/** Go strconv.ParseInt(s, 0, 64): 0x/0o/0b prefixes, a leading 0 is octal ("010" is 8), underscores only after a prefix. */
export function parseGoInt(s: string): number {
  const sign = s.startsWith('-') || s.startsWith('+') ? s.charAt(0) : '';
  const body = s.slice(sign.length);
  const digits = (from: number) => body.slice(from).replace(/_/g, '');
  let n: number;
  if (/^0[xX](_?[0-9a-fA-F])+$/.test(body)) n = parseInt(digits(2), 16);
  else if (/^0[oO](_?[0-7])+$/.test(body)) n = parseInt(digits(2), 8);
  else if (/^0[bB](_?[01])+$/.test(body)) n = parseInt(digits(2), 2);
  else if (/^0(_?[0-7])+$/.test(body)) n = parseInt(digits(1), 8);
  else if (/^(0|[1-9][0-9]*)$/.test(body)) n = Number(body);
  else throw new Error(`${JSON.stringify(s)} is not an integer`);
  if (!Number.isSafeInteger(n)) throw new Error(`${JSON.stringify(s)} is out of range`);
  return sign === '-' ? -n : n;
}

// ---- durations: Go's time.ParseDuration; everything in Tributary works in milliseconds

const NS_PER_UNIT: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3, // U+00B5 micro sign
  μs: 1e3, // U+03BC Greek mu; Go accepts both
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

// ---- regular expressions: RE2 syntax, of which most is valid JavaScript

// Matches only where the preceding backslashes (if any) are themselves escaped,
// so `\\A` (a literal backslash, then "A") is left alone.
const NOT_ESCAPED = String.raw`(?<=(?:^|[^\\])(?:\\\\)*)`;
const LEADING_FLAGS = /^\(\?([imsU]+)\)/;

/** Compiles a Go regexp as an unanchored JS RegExp (Go's MatchString searches). Throws on invalid syntax. */
export function compileGoRegex(pattern: string): RegExp {
  let source = pattern;
  let flags = '';
  const m = LEADING_FLAGS.exec(source);
  if (m) {
    const goFlags = m[1]!;
    if (goFlags.includes('U')) throw new Error('the (?U) ungreedy flag is not supported');
    flags = [...new Set(goFlags)].join('');
    source = source.slice(m[0].length);
  }
  source = source
    .replace(new RegExp(NOT_ESCAPED + String.raw`\(\?P<`, 'g'), '(?<') // named groups
    .replace(new RegExp(NOT_ESCAPED + String.raw`\\A`, 'g'), '^')
    .replace(new RegExp(NOT_ESCAPED + String.raw`\\z`, 'g'), '$');
  // Go works on code points, as the `u` flag does; its stricter escaping rules
  // can reject patterns Go accepts (e.g. `\-` outside a class), so fall back.
  try {
    return new RegExp(source, `${flags}u`);
  } catch {
    return new RegExp(source, flags);
  }
}
