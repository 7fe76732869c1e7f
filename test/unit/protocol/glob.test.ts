import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { compileGlob } from '../../../src/util/glob.js';

const matches = (pattern: string, s: string) => compileGlob(pattern).test(s);

describe('compileGlob', () => {
  it('matches literally and anchored', () => {
    assert.ok(matches('http://example.com', 'http://example.com'));
    assert.ok(!matches('http://example.com', 'http://example.com.evil.net'));
    assert.ok(!matches('example.com', 'xexample.com'));
    assert.ok(!matches('a.c', 'abc'), '. is literal');
    assert.ok(matches('a+b(c)|d$^', 'a+b(c)|d$^'), 'regex metacharacters are literal');
  });

  it('* matches any run, including empty and separators', () => {
    assert.ok(matches('*', ''));
    assert.ok(matches('https://*.example.com', 'https://a.b.example.com'));
    assert.ok(!matches('https://*.example.com', 'https://example.com'));
    assert.ok(matches('news*', 'news'));
    assert.ok(matches('chat:*', 'chat:room:1'));
  });

  it('? matches exactly one character', () => {
    assert.ok(matches('a?c', 'abc'));
    assert.ok(!matches('a?c', 'ac'));
    assert.ok(!matches('a?c', 'abbc'));
  });

  it('character classes, ranges and ! negation', () => {
    assert.ok(matches('http://localhost:[0-9][0-9][0-9][0-9]', 'http://localhost:3000'));
    assert.ok(!matches('http://localhost:[0-9][0-9][0-9][0-9]', 'http://localhost:30a0'));
    assert.ok(matches('[abc]x', 'bx'));
    assert.ok(!matches('[!abc]x', 'bx'));
    assert.ok(matches('[!abc]x', 'dx'));
    assert.ok(matches('[^a]x', '^x'), 'a leading ^ is a literal, as in gobwas/glob');
    assert.ok(matches('[^a]x', 'ax'));
    assert.ok(!matches('[^a]x', 'bx'));
  });

  it('{a,b} alternatives, nested and with wildcards', () => {
    const re = compileGlob('https://{app,admin}.example.{com,org}');
    assert.ok(re.test('https://app.example.com'));
    assert.ok(re.test('https://admin.example.org'));
    assert.ok(!re.test('https://web.example.com'));
    assert.ok(matches('{a,{b,c}}d', 'cd'));
    assert.ok(matches('{x*,y}', 'xzz'));
    assert.ok(matches('a,b', 'a,b'), 'a comma outside braces is literal');
    assert.ok(matches('a}', 'a}'), 'a stray } is literal');
  });

  it('backslash escapes a special character', () => {
    assert.ok(matches('a\\*', 'a*'));
    assert.ok(!matches('a\\*', 'ab'));
    assert.ok(matches('\\{a\\}', '{a}'));
    assert.ok(matches('a\\?', 'a?'));
  });

  it('unterminated or invalid classes are literal', () => {
    assert.ok(matches('a[b', 'a[b'));
    assert.ok(matches('[z-a]', '[z-a]'));
  });

  it('never throws on arbitrary patterns', () => {
    let seed = 11;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const parts = ['*', '?', '[', ']', '!', '^', '{', '}', ',', '\\', '-', 'a', 'z', '.', '(', ')', '|', '$', '/'];
    for (let i = 0; i < 3000; i++) {
      let p = '';
      const n = Math.floor(rand() * 12);
      for (let j = 0; j < n; j++) p += parts[Math.floor(rand() * parts.length)];
      const re = compileGlob(p);
      re.test('http://a.z/');
    }
  });

  it('many stars cost time linear in the name, not one try per way to split it (a channels pattern blocked the node for a minute)', () => {
    const started = performance.now();
    assert.ok(!matches('{' + '*a'.repeat(30) + 'b,x}', 'a'.repeat(2000)), 'stars inside alternatives too (found by npm run fuzz)');
    assert.ok(!matches('{,}'.repeat(20_000) + '*b', 'a'.repeat(200)), 'long chains of empty alternatives');
    assert.ok(!matches('*a'.repeat(30) + 'b', 'a'.repeat(2000)));
    assert.ok(matches('*a'.repeat(30) + '*', 'a'.repeat(2000)));
    assert.ok(matches('chat:*:*:*:*:*:*:*:*:x', 'chat:' + '1:'.repeat(500) + 'x'));
    assert.ok(performance.now() - started < 500, `took ${performance.now() - started} ms`);
  });

  it('matches exactly what the same pattern as a RegExp matches (short names, where backtracking is cheap)', () => {
    // Tokens with an obvious RegExp translation; braces are generated balanced.
    let seed = 5;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pick = <T>(items: readonly T[]) => items[Math.floor(rand() * items.length)]!;
    const TOKENS: Array<[string, string]> = [
      ['a', 'a'],
      ['b', 'b'],
      ['?', '.'],
      ['*', '.*'],
      ['[ab]', '[ab]'],
      ['[!a]', '[^a]'],
    ];
    const gen = (depth: number): [string, string] => {
      let glob = '';
      let re = '';
      const n = Math.floor(rand() * 6);
      for (let i = 0; i < n; i++) {
        if (depth < 2 && rand() < 0.15) {
          const options = [gen(depth + 1), gen(depth + 1)];
          glob += `{${options.map((o) => o[0]).join(',')}}`;
          re += `(?:${options.map((o) => o[1]).join('|')})`;
        } else {
          const [g, r] = pick(TOKENS);
          glob += g;
          re += r;
        }
      }
      return [glob, re];
    };
    for (let i = 0; i < 5000; i++) {
      const [glob, re] = gen(0);
      const regexp = new RegExp(`^${re}$`, 's');
      for (let j = 0; j < 4; j++) {
        let s = '';
        const len = Math.floor(rand() * 9);
        for (let k = 0; k < len; k++) s += pick(['a', 'b', 'c']);
        assert.equal(matches(glob, s), regexp.test(s), `${glob} on ${JSON.stringify(s)}`);
      }
    }
  });
});
