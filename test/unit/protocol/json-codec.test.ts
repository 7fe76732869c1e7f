import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { DecodeError } from '../../../src/protocol/decode-error.js';
import { decodeJsonCommands, decodeJsonConnectRequest } from '../../../src/protocol/json/decode.js';

function decodeOne(frame: string): any {
  const cmds = decodeJsonCommands(frame);
  assert.equal(cmds.length, 1);
  return cmds[0];
}

const rejects = (frame: string) => assert.throws(() => decodeJsonCommands(frame), DecodeError, JSON.stringify(frame));

describe('decodeJsonCommands', () => {
  it('splits a multi-command frame in order', () => {
    const cmds = decodeJsonCommands('{"id":1,"connect":{"name":"js"}}\n{"id":2,"subscribe":{"channel":"a"}}\n{"id":3,"presence":{"channel":"a"}}');
    assert.deepEqual(
      cmds.map((c) => [c.id, c.kind]),
      [
        [1, 'connect'],
        [2, 'subscribe'],
        [3, 'presence'],
      ],
    );
    assert.deepEqual(cmds[1]!.req, { channel: 'a' });
  });

  it('accepts exactly one trailing newline', () => {
    assert.equal(decodeJsonCommands('{"id":1,"connect":{}}\n').length, 1);
    assert.equal(decodeJsonCommands('{"id":1,"connect":{}}\n{"id":2,"ping":{}}\n').length, 2);
    rejects('{"id":1,"connect":{}}\n\n');
    rejects('{"id":1,"connect":{}}\n\n{"id":2,"ping":{}}');
  });

  it('rejects an empty frame', () => {
    rejects('');
    rejects('\n');
  });

  it('rejects malformed JSON and non-object commands', () => {
    for (const bad of ['{', 'garbage', '{"id":1,"connect":{}', '[]', '[{"id":1}]', '1', '"x"', 'null', 'true']) rejects(bad);
  });

  it('rejects a one-line frame when any line is bad', () => {
    rejects('{"id":1,"connect":{}}\nnot json');
  });

  it('rejects bad ids', () => {
    for (const id of ['"1"', '-1', '1.5', '4294967296', 'true', '{}', '[]', '1e400']) rejects(`{"id":${id},"connect":{}}`);
    assert.equal(decodeOne('{"id":4294967295,"connect":{}}').id, 4294967295);
    assert.equal(decodeOne('{"id":null,"connect":{}}').id, 0);
    assert.equal(decodeOne('{"connect":{}}').id, 0);
  });

  it('rejects a request that is not an object', () => {
    for (const req of ['1', '"x"', '[]', 'true']) rejects(`{"id":1,"subscribe":${req}}`);
  });

  it('treats a null request like an absent one', () => {
    assert.deepEqual(decodeOne('{"id":1,"connect":null,"subscribe":{"channel":"x"}}').kind, 'subscribe');
  });

  it('dispatches on the first request field in protocol order', () => {
    assert.equal(decodeOne('{"id":1,"presence":{"channel":"a"},"subscribe":{"channel":"a"}}').kind, 'subscribe');
  });

  it('rejects wrong types on fields Tributary reads', () => {
    const bad = [
      '{"id":1,"connect":{"token":5}}',
      '{"id":1,"connect":{"name":{}}}',
      '{"id":1,"connect":{"subs":[]}}',
      '{"id":1,"connect":{"subs":{"ch":5}}}',
      '{"id":1,"connect":{"subs":{"ch":{"recover":"yes"}}}}',
      '{"id":1,"connect":{"headers":{"a":1}}}',
      '{"id":1,"connect":{"headers":"x"}}',
      '{"id":1,"subscribe":{"channel":5}}',
      '{"id":1,"subscribe":{"channel":"a","recover":1}}',
      '{"id":1,"subscribe":{"channel":"a","offset":-1}}',
      '{"id":1,"subscribe":{"channel":"a","offset":1.5}}',
      '{"id":1,"subscribe":{"channel":"a","offset":"5"}}',
      '{"id":1,"subscribe":{"channel":"a","flag":"1"}}',
      '{"id":1,"subscribe":{"channel":"a","type":4294967296}}',
      '{"id":1,"subscribe":{"channel":"a","delta":true}}',
      '{"id":1,"subscribe":{"channel":"a","join_leave":"true"}}',
      '{"id":1,"history":{"channel":"a","limit":"10"}}',
      '{"id":1,"history":{"channel":"a","limit":2147483648}}',
      '{"id":1,"history":{"channel":"a","since":5}}',
      '{"id":1,"history":{"channel":"a","since":{"offset":-1}}}',
      '{"id":1,"history":{"channel":"a","since":{"epoch":1}}}',
      '{"id":1,"history":{"channel":"a","reverse":0}}',
      '{"id":1,"rpc":{"method":1}}',
      '{"id":1,"refresh":{"token":[]}}',
      '{"id":1,"sub_refresh":{"channel":"a","token":1}}',
      '{"id":1,"unsubscribe":{"channel":null,"x":1,"channel":2}}',
    ];
    for (const f of bad) rejects(f);
  });

  it('ignores unknown and experimental fields, whatever their type (flag, tf, map fields)', () => {
    const sub = decodeOne(
      '{"id":2,"subscribe":{"channel":"a","flag":1,"tf":{"op":"eq","key":"k","val":"v"},"phase":"x","cursor":5,"limit":"x","asc":1,"future":[1]}}',
    );
    assert.equal(sub.kind, 'subscribe');
    assert.equal(sub.req.channel, 'a');
    assert.equal(sub.req.flag, 1);
    const conn = decodeOne('{"id":1,"connect":{"flag":"whatever","dict":{"x":1},"profile":[1],"name":"js","version":"5.5.0"}}');
    assert.equal(conn.req.name, 'js');
    const pub = decodeOne('{"id":3,"publish":{"channel":"c","data":{},"type":"map","key":5,"removed":"no"}}');
    assert.equal(pub.kind, 'publish');
    const hist = decodeOne('{"id":4,"history":{"channel":"c","token":5}}');
    assert.equal(hist.kind, 'history');
  });

  it('drops null fields', () => {
    assert.deepEqual(decodeOne('{"id":1,"subscribe":{"channel":"a","token":null,"recover":null}}').req, { channel: 'a' });
  });

  it('keeps raw data byte-for-byte as a Buffer', () => {
    const pub = decodeOne('{"id":3,"publish":{"channel":"c","data":{ "a" : [1.0, "\\u00e9"] }}}');
    assert.ok(Buffer.isBuffer(pub.req.data));
    assert.equal(pub.req.data.toString('utf8'), '{ "a" : [1.0, "\\u00e9"] }');
    for (const kind of ['connect', 'rpc', 'send', 'subscribe']) {
      const c = decodeOne(`{"id":1,"${kind}":{"channel":"c","data":"str"}}`);
      assert.equal(c.req.data.toString('utf8'), '"str"', kind);
    }
  });

  it('normalizes connect.subs entries as subscribe requests keyed by channel', () => {
    const c = decodeOne('{"id":1,"connect":{"subs":{"news":{"recover":true,"offset":3,"epoch":"e","data":[ 1 ]},"__proto__":{"recover":true}}}}');
    const subs = c.req.subs;
    assert.equal(Object.getPrototypeOf(subs), Object.prototype);
    assert.deepEqual(Object.keys(subs), ['news', '__proto__']);
    assert.equal(subs.news.channel, 'news');
    assert.equal(subs.news.recover, true);
    assert.equal(subs.news.offset, 3);
    assert.equal(subs.news.data.toString(), '[ 1 ]');
    assert.equal(Object.getOwnPropertyDescriptor(subs, '__proto__')!.value.channel, '__proto__');
  });

  it('ignores a __proto__ member in a request', () => {
    const c = decodeOne('{"id":1,"subscribe":{"__proto__":{"channel":"x"},"channel":"a"}}');
    assert.equal(Object.getPrototypeOf(c.req), Object.prototype);
    assert.equal(c.req.channel, 'a');
    const d = decodeOne('{"id":1,"subscribe":{"__proto__":{"channel":"x"}}}');
    assert.equal(d.req.channel, undefined);
  });

  it('detects pongs: an empty command, or one with no known request', () => {
    assert.deepEqual(decodeOne('{}'), { id: 0, kind: 'pong', req: null });
    assert.deepEqual(decodeOne('{"id":0}'), { id: 0, kind: 'pong', req: null });
    assert.deepEqual(decodeOne('{"unknown":{}}'), { id: 0, kind: 'pong', req: null });
    // id > 0 and no known request field: the session answers 3501.
    assert.deepEqual(decodeOne('{"id":7,"foo":{}}'), { id: 7, kind: 'pong', req: null });
  });

  it('decodes send without id', () => {
    const c = decodeOne('{"send":{"data":{"x":1}}}');
    assert.equal(c.kind, 'send');
    assert.equal(c.id, 0);
    assert.equal(c.req.data.toString(), '{"x":1}');
  });

  it('decodes the ping command as its own kind', () => {
    assert.equal(decodeOne('{"id":5,"ping":{}}').kind, 'ping');
  });

  it('tolerates CR before the newline and surrounding whitespace', () => {
    const cmds = decodeJsonCommands(' {"id":1,"connect":{}} \r\n\t{"id":2,"ping":{}}\r\n');
    assert.equal(cmds.length, 2);
  });

  it('throws only DecodeError on random garbage', () => {
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const parts = ['{', '}', '"id"', ':', '1', ',', '"connect"', '"subs"', '"data"', '[', ']', '\n', 'null', '"x"', '-1', '"__proto__"'];
    for (let i = 0; i < 3000; i++) {
      let s = '';
      const n = 1 + Math.floor(rand() * 20);
      for (let j = 0; j < n; j++) s += parts[Math.floor(rand() * parts.length)];
      try {
        decodeJsonCommands(s);
      } catch (err) {
        assert.ok(err instanceof DecodeError, `${JSON.stringify(s)} threw ${String(err)}`);
      }
    }
  });
});

describe('decodeJsonConnectRequest', () => {
  it('keeps data and subs.<channel>.data raw', () => {
    const req = decodeJsonConnectRequest('{"data":{"a": 1},"subs":{"news":{"data":[1, 2]}}}');
    assert.equal(req.data!.toString(), '{"a": 1}');
    assert.equal(req.subs!.news!.data!.toString(), '[1, 2]');
  });

  it('decodes deep nesting in linear time (found by npm run fuzz: a 20,000-deep array took seconds)', () => {
    const depth = 20_000;
    const started = performance.now();
    assert.throws(() => decodeJsonConnectRequest('['.repeat(depth) + ']'.repeat(depth)), DecodeError);
    const deepData = decodeJsonConnectRequest(`{"unknown":${'['.repeat(depth) + ']'.repeat(depth)},"data":1}`);
    assert.equal(deepData.data!.toString(), '1');
    assert.ok(performance.now() - started < 500, `took ${performance.now() - started} ms`);
  });
});
