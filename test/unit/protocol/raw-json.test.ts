import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { RawJson, isJsonSafePayload, parseJsonWithRaw, parseJsonWithRawMembers, stringifyWithRaw, type JsonPath } from '../../../src/protocol/json/raw-json.js';

const never = (): boolean => false;

/** Deterministic PRNG so a failing fuzz case is reproducible from its seed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** What `f` returns, or what it throws. */
function attempt(f: () => unknown): { value?: unknown; error?: unknown } {
  try {
    return { value: f() };
  } catch (error) {
    return { error };
  }
}

/** One of `seeds` with one to three random edits: a character deleted, or a piece of `alphabet` inserted or written over one. */
function mutant(seeds: string[], alphabet: string[], rand: () => number): string {
  let s = seeds[Math.floor(rand() * seeds.length)]!;
  const edits = 1 + Math.floor(rand() * 3);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(rand() * (s.length + 1));
    const op = rand();
    if (op < 0.4)
      s = s.slice(0, at) + s.slice(at + 1); // delete
    else if (op < 0.8)
      s = s.slice(0, at) + alphabet[Math.floor(rand() * alphabet.length)] + s.slice(at); // insert
    else s = s.slice(0, at) + alphabet[Math.floor(rand() * alphabet.length)] + s.slice(at + 1); // replace
  }
  return s;
}

/** Replaces every RawJson by JSON.parse of its text, to compare with plain JSON.parse. */
function unraw(v: unknown): unknown {
  if (v instanceof RawJson) return JSON.parse(v.text);
  if (Array.isArray(v)) return v.map(unraw);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) Object.defineProperty(out, k, { value: unraw(x), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return v;
}

/** Paths of every RawJson in `v`. */
function rawPaths(v: unknown, path: (string | number)[] = [], out: string[] = []): string[] {
  if (v instanceof RawJson) out.push(JSON.stringify(path));
  else if (Array.isArray(v)) v.forEach((x, i) => rawPaths(x, [...path, i], out));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) rawPaths(x, [...path, k], out);
  return out;
}

describe('parseJsonWithRaw', () => {
  it('keeps values at raw paths byte-for-byte', () => {
    const text = '{"id":1,"publish":{"channel":"a","data":{ "b" : [1, 2.50, 1e3, "x\\u0041\\"y"] , "z":null }}}';
    const isRaw = (p: JsonPath) => p.length === 2 && p[0] === 'publish' && p[1] === 'data';
    const v = parseJsonWithRaw(text, isRaw) as any;
    assert.equal(v.id, 1);
    assert.equal(v.publish.channel, 'a');
    assert.ok(v.publish.data instanceof RawJson);
    assert.equal(v.publish.data.text, '{ "b" : [1, 2.50, 1e3, "x\\u0041\\"y"] , "z":null }');
  });

  it('keeps every kind of JSON value raw, including strings, numbers and literals', () => {
    for (const raw of ['"s\\n\\"t"', '-0.10e+2', 'true', 'false', 'null', '[]', '{}', '[{"a":[]}]', '"\\u00e9\u00e9😀"']) {
      const v = parseJsonWithRaw(`{"data": ${raw} ,"x":1}`, (p) => p[0] === 'data') as any;
      assert.ok(v.data instanceof RawJson, raw);
      assert.equal(v.data.text, raw);
      assert.equal(v.x, 1);
    }
  });

  it('keeps raw values inside arrays by index', () => {
    const v = parseJsonWithRaw('[1, {"a": 1.0}, [2.0]]', (p) => p.length === 1 && p[0] !== 0) as any;
    assert.equal(v[0], 1);
    assert.equal(v[1].text, '{"a": 1.0}');
    assert.equal(v[2].text, '[2.0]');
  });

  it('strips newlines from raw slices (whitespace only in valid JSON)', () => {
    const v = parseJsonWithRaw('{"data":{\n  "a": 1,\r\n  "b": [\n2]\n}}', (p) => p[0] === 'data') as any;
    assert.equal(v.data.text, '{  "a": 1,\r  "b": [2]}');
    assert.deepEqual(JSON.parse(v.data.text), { a: 1, b: [2] });
  });

  it('returns the root raw when the predicate selects []', () => {
    const v = parseJsonWithRaw(' \n{"a":\n1} ', (p) => p.length === 0);
    assert.ok(v instanceof RawJson);
    assert.equal((v as RawJson).text, '{"a":1}');
  });

  it('returns primitives as JSON.parse does', () => {
    for (const t of ['1', '"x"', 'null', 'true', ' 2.5 ']) assert.deepEqual(parseJsonWithRaw(t, never), JSON.parse(t));
  });

  it('does not descend into raw values', () => {
    const asked: string[] = [];
    parseJsonWithRaw('{"data":{"inner":{"x":1}},"o":{"p":[1]}}', (p) => {
      asked.push(p.join('.'));
      return p[0] === 'data';
    });
    assert.deepEqual(asked, ['', 'data', 'o', 'o.p', 'o.p.0']); // '' is the root
  });

  it('follows JSON.parse on duplicate keys (last wins, raw or not)', () => {
    const isRaw = (p: JsonPath) => p.length === 2 && p[1] === 'data';
    const a = parseJsonWithRaw('{"m":{"data":1.0},"m":{"data":2.0}}', isRaw) as any;
    assert.equal(a.m.data.text, '2.0');
    const b = parseJsonWithRaw('{"m":{"data":1.0},"m":{"other":2}}', isRaw) as any;
    assert.deepEqual(Object.keys(b.m), ['other']);
    const c = parseJsonWithRaw('{"m":{"data":1.0},"m":5}', isRaw) as any;
    assert.equal(c.m, 5);
    const d = parseJsonWithRaw('{"data":1,"data":[ 2 ]}', (p) => p[0] === 'data') as any;
    assert.equal(d.data.text, '[ 2 ]');
  });

  it('keeps __proto__ keys as own data properties, like JSON.parse', () => {
    const v = parseJsonWithRaw('{"__proto__":{"polluted":1},"x":{"__proto__":[1]}}', (p) => p.length === 2 && p[1] === '__proto__') as any;
    assert.ok(Object.hasOwn(v, '__proto__'));
    assert.equal(Object.getPrototypeOf(v), Object.prototype);
    assert.equal(({} as any).polluted, undefined);
    assert.ok(v.x.__proto__ instanceof RawJson);
    assert.equal(v.x.__proto__.text, '[1]');
  });

  it('decodes escaped member names before asking the predicate', () => {
    const v = parseJsonWithRaw('{"d\\u0061ta":{"a" :1}}', (p) => p[0] === 'data') as any;
    assert.equal(v.data.text, '{"a" :1}');
  });

  it('accepts any nesting depth JSON.parse accepts (no recursion)', () => {
    const depth = 50_000;
    const deep = '['.repeat(depth) + ']'.repeat(depth);
    const text = `{"a":${deep},"data":${deep},"b":{"c":${deep}}}`;
    const v = parseJsonWithRaw(text, (p) => p.length === 1 && p[0] === 'data') as any;
    assert.equal(v.data.text, deep);
    assert.ok(Array.isArray(v.a));
    assert.ok(Array.isArray(v.b.c));
  });

  it('throws the same SyntaxError as JSON.parse on invalid input', () => {
    for (const bad of ['', ' ', '{', '{"a":1,}', '[1,]', '{"a" 1}', "{'a':1}", '{"a":01}', '"\n"', 'nul', '{"a":1}}', '\ufeff{}', 'NaN']) {
      let expected: unknown;
      try {
        JSON.parse(bad);
      } catch (e) {
        expected = e;
      }
      assert.ok(expected instanceof SyntaxError, `JSON.parse accepts ${JSON.stringify(bad)}`);
      assert.throws(() => parseJsonWithRaw(bad, () => true), SyntaxError, JSON.stringify(bad));
    }
  });

  it('fuzz: on mutated inputs it throws only when JSON.parse throws, only SyntaxError, and agrees on values', () => {
    const seeds = [
      '{"id":1,"connect":{"token":"abc","data":{"x":[1,2,{"y":"z\\"q"}]},"subs":{"ch":{"recover":true,"offset":5,"data":"s"}}}}',
      '{"id":2,"publish":{"channel":"news","data":[true,false,null,-1.5e-3,"\\u00e9"]}}',
      '[{"data":1},{"data":{"a":{}}},[],"x"]',
      '{"a":{"b":{"c":{"data":[[[]]]}}},"data":"\\\\"}',
    ];
    const alphabet = ['{', '}', '[', ']', '"', ',', ':', '\\', 'a', '1', '-', '.', 'e', ' ', '\n', 'true', 'null', '"data"', '{"data":', '\u00e9', '\ud800'];
    const isRaw = (p: JsonPath) => p[p.length - 1] === 'data' || (p.length === 2 && p[0] === 1);
    const rand = prng(20240611);
    let valid = 0;
    for (let i = 0; i < 5000; i++) {
      const s = mutant(seeds, alphabet, rand);
      const { value: expected, error: expectedError } = attempt(() => JSON.parse(s));
      const { value: got, error: gotError } = attempt(() => parseJsonWithRaw(s, isRaw));
      if (expectedError) {
        assert.ok(gotError instanceof SyntaxError, `case ${i}: ${JSON.stringify(s)} must throw SyntaxError, got ${String(gotError)}`);
        continue;
      }
      valid++;
      assert.equal(gotError, undefined, `case ${i}: ${JSON.stringify(s)} threw ${String(gotError)}`);
      assert.deepEqual(unraw(got), expected, `case ${i}: ${JSON.stringify(s)}`);
      // Every raw slice is newline-free, and raw slices sit exactly at raw paths.
      for (const p of rawPaths(got)) {
        const path = JSON.parse(p) as (string | number)[];
        assert.ok(isRaw(path), `case ${i}: raw at non-raw path ${p}`);
      }
      const walk = (v: unknown): void => {
        if (v instanceof RawJson) assert.ok(!v.text.includes('\n'));
        else if (v && typeof v === 'object') Object.values(v).forEach(walk);
      };
      walk(got);
    }
    assert.ok(valid > 200, `only ${valid} valid mutants; the fuzz is not exercising the parser`);
  });
});

describe('parseJsonWithRawMembers', () => {
  const isRawKey = (k: string): boolean => k.toLowerCase() === 'data' || k === 'info';
  const asPath = (p: JsonPath): boolean => p.length === 1 && typeof p[0] === 'string' && isRawKey(p[0]);
  const same = (text: string): boolean => {
    const { value: expected, error: expectedError } = attempt(() => parseJsonWithRaw(text, asPath));
    const { value: got, error } = attempt(() => parseJsonWithRawMembers(text, isRawKey));
    if (error !== undefined) {
      assert.ok(expectedError !== undefined && error instanceof SyntaxError, `${JSON.stringify(text)} threw ${String(error)}`);
      return false;
    }
    assert.equal(expectedError, undefined, `${JSON.stringify(text)} must throw`);
    assert.deepEqual(got, expected, JSON.stringify(text));
    return true;
  };

  it('gives what parseJsonWithRaw gives with the same members picked at the root', () => {
    for (const text of [
      '{"channel":"a","data":{"n": 12345678901234567890}}',
      ' \n{ "Data" :\t[1, 2 ,3] , "info":"x\\"y" }\r\n',
      '{"data":1,"data":{"a":2}}',
      '{"data":{"a":2},"data":"last"}',
      '{"__proto__":{"x":1},"data":"p"}',
      '{"d\\u0061ta":true,"in\\u0066o":null}',
      '{"nested":{"data":1},"list":[{"data":2}],"data":-0.5e+3}',
      '{}',
      '[{"data":1}]',
      '"data"',
      '12',
      'null',
      '{"data":}',
      '{"data":1',
      '',
    ])
      same(text);
  });

  it('fuzz: agrees with parseJsonWithRaw on mutated requests, values and errors alike', () => {
    const seeds = [
      '{"channel":"news","data":{"x":[1,2,{"y":"z\\"q"}]},"info":"s","tags":{"data":"t"}}',
      '{"DATA":[true,false,null,-1.5e-3,"\\u00e9"],"idempotency_key":"k"}',
    ];
    const alphabet = ['{', '}', '[', ']', '"', ',', ':', '\\', 'a', '1', '-', '.', ' ', '\n', 'true', 'null', '"data"', '"info":', '{"data":'];
    const rand = prng(20261207);
    let valid = 0;
    for (let i = 0; i < 5000; i++) {
      const s = mutant(seeds, alphabet, rand);
      if (same(s)) valid++;
    }
    assert.ok(valid > 200, `only ${valid} valid mutants; the fuzz is not exercising the scan`);
  });
});

describe('stringifyWithRaw', () => {
  it('matches JSON.stringify for plain values', () => {
    const values: unknown[] = [
      { a: 1, b: 'x', c: [1, 'two', null, true], d: { e: {} }, f: -0.5, g: '\u2028"\\' },
      [undefined, () => 1, 1],
      { u: undefined, fn: () => 1, n: null, nan: NaN, inf: Infinity },
      'str',
      42,
      null,
      { date: new Date(0) },
      [],
      {},
    ];
    for (const v of values) assert.equal(stringifyWithRaw(v), JSON.stringify(v));
  });

  it('splices RawJson and Buffer verbatim', () => {
    const out = stringifyWithRaw({ data: new RawJson('{"a" : 1.50}'), info: Buffer.from('[1, "é"]'), list: [new RawJson('true')] });
    assert.equal(out, '{"data":{"a" : 1.50},"info":[1, "é"],"list":[true]}');
  });

  it('never emits a raw newline (frames are newline-joined)', () => {
    const out = stringifyWithRaw({ a: Buffer.from('{\n"x":\n1}\n'), b: new RawJson('[\n]'), c: 'line\nbreak' });
    assert.ok(!out.includes('\n'));
    assert.deepEqual(JSON.parse(out), { a: { x: 1 }, b: [], c: 'line\nbreak' });
  });

  it('never emits invalid JSON for an empty raw value', () => {
    assert.equal(stringifyWithRaw({ data: Buffer.alloc(0), x: 1 }), '{"x":1}');
    assert.equal(stringifyWithRaw({ data: new RawJson('') }), '{}');
    assert.equal(stringifyWithRaw([Buffer.alloc(0)]), '[null]');
    assert.equal(stringifyWithRaw(Buffer.alloc(0)), 'null');
  });

  it('serialises Maps as objects and undefined at the top as null', () => {
    assert.equal(stringifyWithRaw(new Map<string, unknown>([['k', new RawJson('1')]])), '{"k":1}');
    assert.equal(stringifyWithRaw(undefined), 'null');
  });

  it('round-trips with parseJsonWithRaw byte-for-byte at raw paths', () => {
    const text = '{"id":3,"publish":{"channel":"c","data":{"z" :[1 , 2],"y":"\\u00e9"}}}';
    const v = parseJsonWithRaw(text, (p) => p[1] === 'data');
    assert.equal(stringifyWithRaw(v), '{"id":3,"publish":{"channel":"c","data":{"z" :[1 , 2],"y":"\\u00e9"}}}');
  });
});

describe('isJsonSafePayload', () => {
  it('accepts JSON values in valid UTF-8 (and empty, which is omitted)', () => {
    for (const t of ['{"a":1}', ' [1, 2] ', '"é"', '1', 'null', '{\n"a":\n1}', '']) assert.equal(isJsonSafePayload(Buffer.from(t)), true, t);
  });

  it('refuses binary, invalid UTF-8 and non-JSON text', () => {
    assert.equal(isJsonSafePayload(Buffer.from([0x00, 0xff, 0x0a, 0x22])), false);
    assert.equal(isJsonSafePayload(Buffer.from([0x22, 0xc3, 0x22])), false, 'truncated UTF-8 sequence inside a string');
    for (const t of ['hello', '{"a":}', '"a\nb', '1 2']) assert.equal(isJsonSafePayload(Buffer.from(t)), false, t);
    // A byte order mark is not JSON whitespace: spliced into a frame it would break the client's parse.
    assert.equal(isJsonSafePayload(Buffer.from('\ufeff{"a":1}')), false, 'leading BOM');
  });
});
