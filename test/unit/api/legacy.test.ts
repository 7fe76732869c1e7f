import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Dispatcher } from '../../../src/api/dispatcher.js';
import { ApiDecodeError } from '../../../src/api/errors.js';
import { handleLegacy, splitJsonObjects } from '../../../src/api/legacy.js';
import { RawJson } from '../../../src/protocol/json/raw-json.js';

describe('splitJsonObjects', () => {
  it('returns one object as is', () => {
    assert.deepEqual(splitJsonObjects('{"a":1}'), ['{"a":1}']);
  });

  it('splits concatenated objects', () => {
    assert.deepEqual(splitJsonObjects('{"a":1}{"b":2}{}'), ['{"a":1}', '{"b":2}', '{}']);
  });

  it('splits newline-separated objects and skips JSON whitespace around them', () => {
    assert.deepEqual(splitJsonObjects(' \r\n{"a":1}\n\t{"b":{"c":[1,{}]}}\n\n'), ['{"a":1}', '{"b":{"c":[1,{}]}}']);
  });

  it('ignores braces and quotes inside strings, escapes included', () => {
    const a = '{"s":"}{\\"}"}';
    const b = '{"t":"\\\\"}';
    assert.deepEqual(splitJsonObjects(a + b), [a, b]);
    assert.equal(JSON.parse(a).s, '}{"}');
    assert.equal(JSON.parse(b).t, '\\');
  });

  it('returns nothing for an empty or whitespace-only text', () => {
    assert.deepEqual(splitJsonObjects(''), []);
    assert.deepEqual(splitJsonObjects(' \n\t\r'), []);
  });

  it('refuses text between or around objects', () => {
    for (const bad of ['x', '{"a":1} x', '{"a":1},{"b":2}', '[{"a":1}]', '"str"', '5', 'null', '{"a":1}\u00a0']) {
      assert.throws(() => splitJsonObjects(bad), ApiDecodeError, bad);
    }
  });

  it('refuses unbalanced and truncated text', () => {
    for (const bad of ['}', '{"a":1}}', '{"a":1', '{"a":"1}', '{{}']) {
      assert.throws(() => splitJsonObjects(bad), ApiDecodeError, bad);
    }
  });
});

/** A dispatcher stand-in that records calls and answers `{}` (or what `answer` says). */
function fakeDispatcher(answer: (method: string, req: unknown) => unknown = () => ({ result: {} })) {
  const calls: Array<{ method: string; req: unknown }> = [];
  const d = {
    async dispatch(method: string, req: unknown) {
      calls.push({ method, req });
      const a = answer(method, req);
      if (a instanceof Error) throw a;
      return a;
    },
  };
  return { dispatcher: d as unknown as Dispatcher, calls };
}

describe('handleLegacy', () => {
  it('dispatches string and numeric method names', async () => {
    const { dispatcher, calls } = fakeDispatcher();
    const body = [
      '{"method":"publish","params":{"channel":"a"}}',
      '{"method":"PRESENCE_STATS","params":{}}',
      '{"method":"History_Remove","params":{}}',
      '{"method":1,"params":{}}',
      '{"method":6,"params":{}}',
      '{"method":11,"params":{}}',
      '{"method":12,"params":{}}',
    ].join('\n');
    const out = await handleLegacy(dispatcher, body);
    assert.deepEqual(
      calls.map((c) => c.method),
      ['publish', 'presence_stats', 'history_remove', 'broadcast', 'history', 'subscribe', 'refresh'],
    );
    assert.equal(out, Array(7).fill('{"result":{}}').join('\n'));
  });

  it('echoes a non-zero id and omits id 0', async () => {
    const { dispatcher } = fakeDispatcher();
    const out = await handleLegacy(dispatcher, '{"id":7,"method":"info","params":{}}{"id":0,"method":"info","params":{}}');
    assert.equal(out, '{"id":7,"result":{}}\n{"result":{}}');
  });

  it('matches command keys case-insensitively', async () => {
    const { dispatcher, calls } = fakeDispatcher();
    const out = await handleLegacy(dispatcher, '{"ID":3,"Method":"history","PARAMS":{"channel":"x"}}');
    assert.equal(out, '{"id":3,"result":{}}');
    assert.deepEqual(calls, [{ method: 'history', req: { channel: 'x' } }]);
  });

  it('keeps params.data raw', async () => {
    const { dispatcher, calls } = fakeDispatcher();
    await handleLegacy(dispatcher, '{"method":"publish","params":{"channel":"x","data":{"a": 1.0}}}');
    const req = calls[0]!.req as { data: unknown };
    assert.ok(req.data instanceof RawJson);
    assert.equal((req.data as RawJson).text, '{"a": 1.0}');
  });

  it('treats a missing method as publish (method 0)', async () => {
    const { dispatcher, calls } = fakeDispatcher();
    await handleLegacy(dispatcher, '{"params":{"channel":"x"}}');
    assert.equal(calls[0]!.method, 'publish');
  });

  it('replies 107 when params are missing, except for info', async () => {
    const { dispatcher, calls } = fakeDispatcher();
    const out = await handleLegacy(dispatcher, '{"id":1,"method":"publish"}\n{"id":2,"method":"info"}');
    assert.equal(out, '{"id":1,"error":{"code":107,"message":"bad request"}}\n{"id":2,"result":{}}');
    assert.deepEqual(calls, [{ method: 'info', req: {} }]);
  });

  it('passes "params": null on as an empty request', async () => {
    const { dispatcher, calls } = fakeDispatcher();
    await handleLegacy(dispatcher, '{"method":"unsubscribe","params":null}');
    assert.deepEqual(calls, [{ method: 'unsubscribe', req: null }]);
  });

  it('replies 107 when the dispatcher cannot decode the params', async () => {
    const { dispatcher } = fakeDispatcher(() => new ApiDecodeError('channel must be a string'));
    const out = await handleLegacy(dispatcher, '{"method":"publish","params":{"channel":5}}');
    assert.equal(out, '{"error":{"code":107,"message":"bad request"}}');
  });

  it('replies 104 for known numbers without a handler (PRO, map, unassigned)', async () => {
    const { dispatcher, calls } = fakeDispatcher();
    const out = await handleLegacy(
      dispatcher,
      '{"id":1,"method":13,"params":{}}{"id":2,"method":"connections","params":{}}{"id":3,"method":33,"params":{}}{"id":4,"method":-1,"params":{}}',
    );
    assert.equal(out, [1, 2, 3, 4].map((id) => `{"id":${id},"error":{"code":104,"message":"not found"}}`).join('\n'));
    assert.equal(calls.length, 0);
  });

  it('refuses the whole request for an undecodable method or id', async () => {
    const { dispatcher } = fakeDispatcher();
    for (const bad of [
      '{"method":"nope","params":{}}',
      '{"method":"batch","params":{}}',
      '{"method":null,"params":{}}',
      '{"method":true,"params":{}}',
      '{"method":1.5,"params":{}}',
      '{"method":"0","params":{}}',
      '{"id":-1,"method":"info","params":{}}',
      '{"id":"1","method":"info","params":{}}',
      '{"id":4294967296,"method":"info","params":{}}',
    ]) {
      await assert.rejects(handleLegacy(dispatcher, bad), ApiDecodeError, bad);
    }
  });

  it('returns an empty reply for whitespace', async () => {
    const { dispatcher } = fakeDispatcher();
    assert.equal(await handleLegacy(dispatcher, ' \n '), '');
  });

  it('splices raw results and errors of each command, in order', async () => {
    const { dispatcher } = fakeDispatcher((method) =>
      method === 'history' ? { result: { publications: [{ data: new RawJson('{"x": 1}') }] } } : { error: { code: 102, message: 'unknown channel' } },
    );
    const out = await handleLegacy(dispatcher, '{"id":1,"method":"history","params":{}}{"id":2,"method":"publish","params":{}}');
    assert.equal(out, '{"id":1,"result":{"publications":[{"data":{"x": 1}}]}}\n{"id":2,"error":{"code":102,"message":"unknown channel"}}');
  });
});
