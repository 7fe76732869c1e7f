// Glob patterns as Centrifugo users write them (gobwas/glob syntax): `*`, `?`,
// `[abc]`/`[!abc]` classes and `{a,b}` alternatives. Used for the `channels`
// API pattern and for allowed origins.
//
// A pattern is matched by walking all its positions at once over the name
// (a Thompson NFA), never by backtracking: a RegExp made of `.*`s tried every
// way to split the name, and `*a*a*a*a*a*a*a*a*b` (from the API, or in a
// survey from another node) took a minute on a 60-character channel, blocking
// the event loop. The cost is at most the name's length times the pattern's.

export interface Glob {
  /** Whether the whole of `s` matches (UTF-16 code units, as a RegExp without the u flag). */
  test(s: string): boolean;
}

type Piece = { kind: 'char'; test: (c: string) => boolean } | { kind: 'star' } | { kind: 'alt'; options: Piece[][] };

/** One NFA state: reads one character, loops on any (a star), forks, or accepts. */
type State =
  { kind: 'char'; test: (c: string) => boolean; next: number } | { kind: 'star'; next: number } | { kind: 'fork'; next: number[] } | { kind: 'match' };

const any = () => true;
const MAX_NESTING = 32;

/** Compiles a glob. Never throws: what is not glob syntax is literal. */
export function compileGlob(pattern: string): Glob {
  const states: State[] = [{ kind: 'match' }];
  const add = (s: State) => states.push(s) - 1;
  const compile = (pieces: Piece[], next: number): number => {
    for (let i = pieces.length - 1; i >= 0; i--) {
      const p = pieces[i]!;
      if (p.kind === 'char') next = add({ kind: 'char', test: p.test, next });
      else if (p.kind === 'star') next = add({ kind: 'star', next });
      else {
        const after = next;
        next = add({ kind: 'fork', next: p.options.map((o) => compile(o, after)) });
      }
    }
    return next;
  };
  const start = compile(parse(pattern), 0);
  return { test: (s) => run(states, start, s) };
}

function parse(pattern: string): Piece[] {
  // Open alternatives, innermost last: the options so far and the one being read.
  const open: Array<{ options: Piece[][] }> = [];
  let seq: Piece[] = [];
  const outer: Piece[][] = [];
  const literal = (ch: string): Piece => ({ kind: 'char', test: (c) => c === ch });
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    switch (ch) {
      case '*':
        if (seq.at(-1)?.kind !== 'star') seq.push({ kind: 'star' }); // ** is *
        break;
      case '?':
        seq.push({ kind: 'char', test: any });
        break;
      case '[': {
        const end = pattern.indexOf(']', i + 1);
        const cls = end < 0 ? null : characterClass(pattern.slice(i + 1, end));
        if (!cls) {
          seq.push(literal('['));
          break;
        }
        seq.push({ kind: 'char', test: (c) => cls.test(c) });
        i = end;
        break;
      }
      case '{':
        // Nesting costs recursion when compiling: past any real pattern, a brace is a literal.
        if (open.length >= MAX_NESTING) {
          seq.push(literal('{'));
          break;
        }
        open.push({ options: [] });
        outer.push(seq);
        seq = [];
        break;
      case ',':
        if (open.length > 0) {
          open.at(-1)!.options.push(seq);
          seq = [];
        } else seq.push(literal(','));
        break;
      case '}':
        if (open.length > 0) seq = closeAlternative(open, outer, seq);
        else seq.push(literal('}'));
        break;
      case '\\':
        if (i + 1 < pattern.length) seq.push(literal(pattern[++i]!));
        break;
      default:
        seq.push(literal(ch));
    }
  }
  while (open.length > 0) seq = closeAlternative(open, outer, seq);
  return seq;
}

function closeAlternative(open: Array<{ options: Piece[][] }>, outer: Piece[][], seq: Piece[]): Piece[] {
  const { options } = open.pop()!;
  options.push(seq);
  const parent = outer.pop()!;
  parent.push({ kind: 'alt', options });
  return parent;
}

/** A `[…]` body as a one-character RegExp, or null where it is no class (e.g. a reversed range `[z-a]`: the `[` is a literal). */
function characterClass(body: string): RegExp | null {
  body = body.replace(/\\/g, '\\\\');
  // gobwas/glob negates with `!` only; a leading `^` is a literal there.
  if (body.startsWith('!')) body = '^' + body.slice(1);
  else if (body.startsWith('^')) body = '\\' + body;
  try {
    return new RegExp('^[' + body + ']$', 's');
  } catch {
    return null;
  }
}

/** Runs the NFA over `s`, keeping the set of states reached after each character. */
function run(states: State[], start: number, s: string): boolean {
  let current: number[] = [];
  // Per step, a state is added once: `mark[id] === step` (steps count from 1; one name has far fewer than 2^32 characters).
  const mark = new Uint32Array(states.length);
  let step = 1;
  const pending: number[] = [];
  /** Adds `id` and every state it reaches without reading a character (iteratively: `{,}{,}{,}…` chains forks). */
  const reach = (into: number[], id: number): void => {
    pending.push(id);
    while (pending.length > 0) {
      const at = pending.pop()!;
      if (mark[at] === step) continue;
      mark[at] = step;
      into.push(at);
      const st = states[at]!;
      if (st.kind === 'star') pending.push(st.next);
      else if (st.kind === 'fork') for (let k = st.next.length - 1; k >= 0; k--) pending.push(st.next[k]!);
    }
  };
  reach(current, start);
  for (let i = 0; i < s.length && current.length > 0; i++) {
    const c = s[i]!;
    const next: number[] = [];
    step++;
    for (const id of current) {
      const st = states[id]!;
      if (st.kind === 'star') reach(next, id);
      else if (st.kind === 'char' && st.test(c)) reach(next, st.next);
    }
    current = next;
  }
  return current.some((id) => states[id]!.kind === 'match');
}
