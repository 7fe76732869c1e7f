// Centrifugo patterns (channel_regex, audience_regex, issuer_regex) are Go RE2
// syntax. Most of it is valid JavaScript; translate the few spellings that are
// not, so a config written for Centrifugo behaves the same here.

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
