// Glob patterns as Centrifugo users write them (gobwas/glob syntax): `*`, `?`,
// `[abc]`/`[!abc]` classes and `{a,b}` alternatives. Used for the `channels`
// API pattern and for allowed origins.

/** Compiles a glob into an anchored RegExp. Never throws: what is not glob syntax is literal. */
export function globToRegExp(pattern: string): RegExp {
  // The pattern's parts between top-level stars, as regex source; `re` is the part being built.
  const parts: string[] = [];
  let re = '';
  let inAlt = 0;
  let alternatives = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    switch (ch) {
      case '*':
        if (inAlt > 0) re += '.*';
        else {
          parts.push(re);
          re = '';
        }
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
        alternatives = true;
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
  parts.push(re);
  if (alternatives || parts.length <= 2) return new RegExp('^' + parts.join('.*') + '$', 's');
  return new RegExp(withoutBacktracking(parts), 's');
}

/**
 * `^P0.*P1.*…Pn$` as a regex that cannot backtrack into earlier stars: with
 * plain `.*`s a pattern like `*a*a*a*a*a*a*a*a*b` took a minute on a
 * 60-character channel name (every way to split the name is tried). Each
 * middle part is instead found at its first occurrence after the previous
 * one, inside a lookahead whose capture is then consumed (lookaheads are
 * atomic): the classic greedy wildcard match, one pass over the name. First
 * occurrence is right because a part without alternatives has one length,
 * so the one starting first also ends first and leaves the most for the rest.
 */
function withoutBacktracking(parts: string[]): string {
  let re = '^' + parts[0];
  for (let i = 1; i < parts.length - 1; i++) re += `(?=(.*?${parts[i]}))\\${i}`;
  return re + '.*' + parts[parts.length - 1] + '$';
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
