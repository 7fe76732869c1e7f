// Structure-aware mutation of JSON inputs. A seed is parsed once into a tree
// that can say what JSON.parse cannot give back: duplicate keys, keys in any
// case, numbers no double holds (1e999, -0, NaN as bare text), and nesting
// deeper than any decoder expects. Mutations copy only the path they change,
// so a seed's tree is shared by every input made from it.

import type { Rng } from './random.js';

/** An object as its members in order, duplicates allowed. */
export class Members {
  constructor(readonly entries: ReadonlyArray<readonly [string, JNode]>) {}
}

/** Text put into the output as it is: numbers JSON cannot hold, deep brackets. */
export class Raw {
  constructor(readonly text: string) {}
}

export type JNode = null | boolean | number | string | JNode[] | Members | Raw;

export function toTree(value: unknown): JNode {
  if (Array.isArray(value)) return value.map(toTree);
  if (value !== null && typeof value === 'object') return new Members(Object.entries(value).map(([k, v]) => [k, toTree(v)] as const));
  return value as JNode;
}

export function serialize(node: JNode): string {
  if (node instanceof Raw) return node.text;
  if (node instanceof Members) return '{' + node.entries.map(([k, v]) => JSON.stringify(k) + ':' + serialize(v)).join(',') + '}';
  if (Array.isArray(node)) return '[' + node.map(serialize).join(',') + ']';
  return JSON.stringify(node) ?? 'null';
}

/** What a seed set offers to splice in: every key and every subtree seen. */
export interface JsonDictionary {
  keys: string[];
  subtrees: JNode[];
}

export function dictionaryOf(trees: readonly JNode[]): JsonDictionary {
  const keys = new Set<string>();
  const subtrees: JNode[] = [];
  const walk = (n: JNode): void => {
    subtrees.push(n);
    if (n instanceof Members) {
      for (const [k, v] of n.entries) {
        keys.add(k);
        walk(v);
      }
    } else if (Array.isArray(n)) n.forEach(walk);
  };
  trees.forEach(walk);
  return { keys: [...keys], subtrees };
}

const LONG = 'x'.repeat(70_000);

/** Values that are wrong in a way decoders mishandle: edges of every integer width, and numbers past a double. */
const INTERESTING: readonly JNode[] = [
  0,
  1,
  -1,
  0.5,
  -0.5,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32,
  2 ** 32 + 1,
  2 ** 53 - 1,
  2 ** 53,
  2 ** 53 + 2,
  2 ** 63,
  2 ** 64,
  -(2 ** 63),
  1e308,
  -1e308,
  5e-324,
  new Raw('-0'),
  new Raw('1e999'),
  new Raw('-1e999'),
  new Raw('1E400'),
  new Raw('0.000000000000000000000000000001'),
  new Raw('123456789012345678901234567890'),
  new Raw('18446744073709551616'),
  new Raw('NaN'),
  new Raw('Infinity'),
  new Raw('-Infinity'),
  new Raw('0x10'),
  new Raw('01'),
  true,
  false,
  null,
  '',
  ' ',
  '0',
  '-1',
  'true',
  'null',
  '{}',
  '\ud800',
  '\udfff',
  'a\ud83d',
  '\u0000',
  '\n',
  '\u2028',
  '*',
  '$',
  'é😀',
  'AAAA',
  'AAA=',
  '=',
  '__proto__',
  LONG.slice(0, 1000),
  [],
  [null],
  new Members([]),
  new Members([['__proto__', new Members([['x', 1]])]]),
];

const ODD_KEYS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '', ' ', 'ID', 'Method', 'PARAMS'];

function caseVariant(key: string, rng: Rng): string {
  switch (rng.int(4)) {
    case 0:
      return key.toUpperCase();
    case 1:
      return key.charAt(0).toUpperCase() + key.slice(1);
    case 2:
      return [...key].map((c) => (rng.chance(0.5) ? c.toUpperCase() : c.toLowerCase())).join('');
    default:
      return key + rng.pick(['_', 'x', ' ', '\u0000', 'ſ']);
  }
}

function mutateString(s: string, rng: Rng): JNode {
  switch (rng.int(6)) {
    case 0:
      return s + LONG.slice(0, rng.size(LONG.length));
    case 1:
      return s.slice(0, rng.int(s.length + 1));
    case 2: {
      const at = rng.int(s.length + 1);
      return s.slice(0, at) + rng.pick(['\ud800', '\udc00', '\u0000', '\n', '"', '\\', '\u00ff', ':', '__', '.', '*', '>']) + s.slice(at);
    }
    case 3:
      return caseVariant(s, rng);
    case 4:
      // Up to some 200,000 characters: long enough to find what is quadratic, short enough for a million inputs.
      return s.repeat(Math.min(1 + rng.size(64), Math.max(1, Math.floor(200_000 / Math.max(1, s.length)))));
    default:
      return Number(s) || rng.pick(INTERESTING);
  }
}

function mutateNumber(n: number, rng: Rng): JNode {
  return rng.pick([n + 1, n - 1, -n, n * 2 ** 32, n + 0.5, n / 3, String(n), new Raw(`${n}e400`), new Raw(`${n}.0`), new Raw(`${n}e0`)]);
}

/** Brackets `depth` deep around the node: stacks and recursion limits. */
function nest(node: JNode, rng: Rng): JNode {
  // Past Go's 10,000 (the API's limit) and past what recursive code survives, but rarely: such inputs are slow for every decoder.
  const depth = rng.chance(0.9) ? 1 + rng.size(300) : 5000 + rng.int(15_000);
  const inner = serialize(node);
  if (rng.chance(0.5)) return new Raw('['.repeat(depth) + inner + ']'.repeat(depth));
  const key = JSON.stringify(rng.pick(['a', 'nodes', 'data', 'payload', 'commands']));
  return new Raw(`{${key}:`.repeat(depth) + inner + '}'.repeat(depth));
}

function mutateMembers(m: Members, rng: Rng, dict: JsonDictionary): JNode {
  const entries = m.entries.slice();
  const i = rng.int(entries.length);
  const has = entries.length > 0;
  switch (rng.int(7)) {
    case 0:
      if (has) entries.splice(i, 1);
      break;
    case 1:
      // The same key twice: which one wins is where decoders disagree.
      if (has) entries.splice(rng.int(entries.length + 1), 0, [entries[i]![0], rng.chance(0.5) ? entries[i]![1] : rng.pick(INTERESTING)]);
      break;
    case 2:
      if (has) entries[i] = [caseVariant(entries[i]![0], rng), entries[i]![1]];
      break;
    case 3:
      if (has) entries[i] = [rng.chance(0.7) ? rng.pick(dict.keys) : rng.pick(ODD_KEYS), entries[i]![1]];
      break;
    case 4:
      entries.splice(rng.int(entries.length + 1), 0, [
        rng.chance(0.8) ? rng.pick(dict.keys) : rng.pick(ODD_KEYS),
        rng.chance(0.5) ? rng.pick(dict.subtrees) : rng.pick(INTERESTING),
      ]);
      break;
    case 5:
      for (let k = entries.length - 1; k > 0; k--) {
        const j = rng.int(k + 1);
        [entries[k], entries[j]] = [entries[j]!, entries[k]!];
      }
      break;
    default:
      return new Members([]);
  }
  return new Members(entries);
}

function mutateArray(a: JNode[], rng: Rng, dict: JsonDictionary): JNode {
  const out = a.slice();
  const i = rng.int(out.length);
  switch (rng.int(5)) {
    case 0:
      if (out.length > 0) out.splice(i, 1);
      return out;
    case 1:
      out.splice(i, 0, rng.pick(INTERESTING));
      return out;
    case 2:
      out.splice(i, 0, rng.pick(dict.subtrees));
      return out;
    case 3: {
      // Long lists: per-item work and limits (of small items: a list of large ones is only slow).
      const item = out[i];
      const small =
        item === undefined || item === null || typeof item === 'number' || typeof item === 'boolean' || (typeof item === 'string' && item.length < 100);
      return out.length > 0 ? Array(1 + rng.size(small ? 2000 : 16)).fill(item) : out;
    }
    default:
      return [];
  }
}

/** One mutation of the node itself. */
function mutateHere(node: JNode, rng: Rng, dict: JsonDictionary): JNode {
  const r = rng.float();
  if (r < 0.2) return rng.pick(INTERESTING); // type swap or edge value
  if (r < 0.3) return rng.pick(dict.subtrees); // a piece of another seed
  if (r < 0.34) return nest(node, rng);
  if (node instanceof Members) return mutateMembers(node, rng, dict);
  if (Array.isArray(node)) return mutateArray(node, rng, dict);
  if (typeof node === 'string') return mutateString(node, rng);
  if (typeof node === 'number') return mutateNumber(node, rng);
  return rng.pick(INTERESTING);
}

/** Mutates one node somewhere in the tree, copying the path down to it. */
export function mutateTree(node: JNode, rng: Rng, dict: JsonDictionary): JNode {
  if (node instanceof Members && node.entries.length > 0 && rng.chance(0.65)) {
    const entries = node.entries.slice();
    const i = rng.int(entries.length);
    entries[i] = [entries[i]![0], mutateTree(entries[i]![1], rng, dict)];
    return new Members(entries);
  }
  if (Array.isArray(node) && node.length > 0 && rng.chance(0.65)) {
    const out = node.slice();
    const i = rng.int(out.length);
    out[i] = mutateTree(out[i]!, rng, dict);
    return out;
  }
  return mutateHere(node, rng, dict);
}
