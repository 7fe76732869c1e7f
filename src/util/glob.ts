// Glob patterns as Centrifugo users write them (gobwas/glob syntax): `*`, `?`,
// `[abc]`/`[!abc]` classes and `{a,b}` alternatives. Used for the `channels`
// API pattern and for allowed origins.

/** Compiles a glob into an anchored RegExp. Never throws: what is not glob syntax is literal. */
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
        let body = pattern.slice(i + 1, end).replace(/\\/g, '\\\\');
        // gobwas/glob negates with `!` only; a leading `^` is a literal there.
        if (body.startsWith('!')) body = '^' + body.slice(1);
        else if (body.startsWith('^')) body = '\\' + body;
        if (!validClass(body)) {
          // e.g. a reversed range `[z-a]`: no class, the `[` is a literal.
          re += '\\[';
          break;
        }
        re += '[' + body + ']';
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

function validClass(body: string): boolean {
  try {
    new RegExp('[' + body + ']');
    return true;
  } catch {
    return false;
  }
}

function escapeRe(ch: string): string {
  return /[.+^$()|[\]{}\\/*?]/.test(ch) ? '\\' + ch : ch;
}
