// Glob patterns as Centrifugo users write them (gobwas/glob syntax): `*`, `?`,
// `[abc]`/`[!abc]` classes and `{a,b}` alternatives. Used for the `channels`
// API pattern and for allowed origins.

export function globToRegExp(pattern: string): RegExp {
  let re = '^';
  let inAlt = 0;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    switch (ch) {
      case '*':
        re += '.*';
        break;
      case '?':
        re += '.';
        break;
      case '[': {
        const end = pattern.indexOf(']', i + 1);
        if (end < 0) {
          re += '\\[';
          break;
        }
        let body = pattern.slice(i + 1, end);
        if (body.startsWith('!')) body = '^' + body.slice(1);
        re += '[' + body.replace(/\\/g, '\\\\') + ']';
        i = end;
        break;
      }
      case '{':
        inAlt++;
        re += '(?:';
        break;
      case '}':
        if (inAlt > 0) {
          inAlt--;
          re += ')';
        } else re += '\\}';
        break;
      case ',':
        re += inAlt > 0 ? '|' : ',';
        break;
      case '\\':
        if (i + 1 < pattern.length) re += escapeRe(pattern[++i]!);
        break;
      default:
        re += escapeRe(ch);
    }
  }
  while (inAlt-- > 0) re += ')';
  return new RegExp(re + '$', 's');
}

function escapeRe(ch: string): string {
  return /[.+^$()|[\]{}\\/*?]/.test(ch) ? '\\' + ch : ch;
}
