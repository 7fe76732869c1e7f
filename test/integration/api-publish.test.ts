// Server API publish, broadcast, history and history_remove over real HTTP,
// with raw WebSocket subscribers to see what is (and is not) delivered.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { defaultChannelOptions } from '../../src/config/schema.js';
import type { ChannelOptions, NamespaceConfig } from '../../src/config/schema.js';
import { RawClient } from '../helpers/raw-ws.js';
import { API_KEY, startServer, token, type TestServer } from '../helpers/server.js';

function ns(name: string, opts: Partial<ChannelOptions> = {}): NamespaceConfig {
  return { ...defaultChannelOptions(), allow_subscribe_for_client: true, ...opts, name };
}

const HISTORY = { history_size: 10, history_ttl: 300_000 };
const BAD_REQUEST = { error: { code: 107, message: 'bad request' } };
const UNKNOWN_CHANNEL = { error: { code: 102, message: 'unknown channel' } };
const NOT_AVAILABLE = { error: { code: 108, message: 'not available' } };

/** POSTs a raw body and returns the status and exact response text. */
async function post(ts: TestServer, method: string, body: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${ts.httpUrl}/api/${method}`, { method: 'POST', headers: { 'X-API-Key': API_KEY }, body });
  return { status: res.status, text: await res.text() };
}

describe('server API: publish, broadcast, history', () => {
  let ts: TestServer;
  const clients: RawClient[] = [];
  let seq = 0;
  /** A channel name no other test uses. */
  const fresh = (prefix = '') => `${prefix}ch${++seq}`;

  /** A raw JSON-protocol client of `user` subscribed to `channels`. */
  async function subscriber(user: string, ...channels: string[]): Promise<RawClient> {
    const c = await RawClient.open(ts.wsUrl);
    clients.push(c);
    c.send({ id: 1, connect: { token: await token(user) } });
    const connect = await c.waitReply(1);
    assert.ok(connect.connect, JSON.stringify(connect));
    let id = 2;
    for (const channel of channels) {
      const sid = id++;
      c.send({ id: sid, subscribe: { channel } });
      const r = await c.waitReply(sid);
      assert.ok(r.subscribe, JSON.stringify(r));
    }
    return c;
  }

  const pubs = (c: RawClient, channel: string) =>
    c
      .pushes('pub')
      .filter((p) => p.channel === channel)
      .map((p) => p.pub);

  async function history(channel: string, req: Record<string, unknown> = {}) {
    const r = await ts.api('history', { channel, ...req });
    assert.equal(r.status, 200);
    return r.json;
  }

  before(async () => {
    ts = await startServer({
      channel: {
        without_namespace: { allow_subscribe_for_client: true },
        namespaces: [
          ns('hist', HISTORY),
          ns('small', { history_size: 3, history_ttl: 300_000 }),
          ns('js', { ...HISTORY, publication_data_format: 'json' }),
          ns('jo', { ...HISTORY, publication_data_format: 'json_object' }),
          ns('bin', { publication_data_format: 'binary' }),
          ns('plain'),
        ],
      },
    });
  });

  after(async () => {
    for (const c of clients) c.terminate();
    await ts.stop();
  });

  describe('publish', () => {
    it('returns {} without history and delivers to subscribers', async () => {
      const ch = fresh();
      const sub = await subscriber('u1', ch);
      const r = await ts.api('publish', { channel: ch, data: { text: 'hi' } });
      assert.equal(r.status, 200);
      assert.equal(r.text, '{"result":{}}');
      await sub.until(() => pubs(sub, ch).length === 1);
      assert.deepEqual(pubs(sub, ch)[0], { data: { text: 'hi' } });
    });

    it('returns offset and epoch with history; offsets grow within one epoch', async () => {
      const ch = fresh('hist:');
      const r1 = await ts.api('publish', { channel: ch, data: 1 });
      const r2 = await ts.api('publish', { channel: ch, data: 2 });
      assert.equal(r1.json.result.offset, 1);
      assert.equal(r2.json.result.offset, 2);
      assert.match(r1.json.result.epoch, /^.+$/);
      assert.equal(r2.json.result.epoch, r1.json.result.epoch);
      assert.equal(r1.text, `{"result":{"offset":1,"epoch":${JSON.stringify(r1.json.result.epoch)}}}`);
    });

    it('delivers offsets to subscribers of a history channel', async () => {
      const ch = fresh('hist:');
      const sub = await subscriber('u1', ch);
      await ts.api('publish', { channel: ch, data: { n: 1 } });
      await ts.api('publish', { channel: ch, data: { n: 2 } });
      await sub.until(() => pubs(sub, ch).length === 2);
      assert.deepEqual(
        pubs(sub, ch).map((p) => [p.offset, p.data]),
        [
          [1, { n: 1 }],
          [2, { n: 2 }],
        ],
      );
    });

    it('refuses an empty or missing channel with 107', async () => {
      assert.deepEqual((await ts.api('publish', { channel: '', data: 1 })).json, BAD_REQUEST);
      assert.deepEqual((await ts.api('publish', { data: 1 })).json, BAD_REQUEST);
      assert.deepEqual((await ts.api('publish', { channel: null, data: 1 })).json, BAD_REQUEST);
    });

    it('refuses an unknown namespace with 102', async () => {
      const r = await ts.api('publish', { channel: 'nope:x', data: 1 });
      assert.equal(r.status, 200);
      assert.equal(r.text, '{"error":{"code":102,"message":"unknown channel"}}');
      assert.deepEqual((await ts.api('publish', { channel: '$nope:x', data: 1 })).json, UNKNOWN_CHANNEL);
    });

    it('resolves private and namespace-less channels the way clients do', async () => {
      assert.equal((await ts.api('publish', { channel: '$hist:private', data: 1 })).json.result.offset, 1);
      assert.deepEqual((await ts.api('publish', { channel: ':room', data: 1 })).json, { result: {} });
    });

    it('publishes b64data (which wins over data) as the decoded bytes', async () => {
      const ch = fresh('hist:');
      const b64 = Buffer.from('{"from":"b64"}').toString('base64');
      const r = await ts.api('publish', { channel: ch, data: { from: 'data' }, b64data: b64 });
      assert.equal(r.json.result.offset, 1);
      const h = await history(ch, { limit: -1 });
      assert.deepEqual(h.result.publications, [{ data: { from: 'b64' }, offset: 1 }]);
    });

    it('uses data when b64data is empty', async () => {
      const ch = fresh('hist:');
      await ts.api('publish', { channel: ch, data: { from: 'data' }, b64data: '' });
      assert.deepEqual((await history(ch, { limit: -1 })).result.publications, [{ data: { from: 'data' }, offset: 1 }]);
    });

    it('refuses invalid base64 with 107', async () => {
      for (const b64data of ['not base64!', 'abc', 'YQ']) {
        assert.deepEqual((await ts.api('publish', { channel: 'hist:x', b64data })).json, BAD_REQUEST, b64data);
      }
    });

    it('skip_history: delivered, not stored, no offset in the result', async () => {
      const ch = fresh('hist:');
      const sub = await subscriber('u1', ch);
      await ts.api('publish', { channel: ch, data: { n: 1 } });
      const r = await ts.api('publish', { channel: ch, data: { n: 2 }, skip_history: true });
      assert.equal(r.text, '{"result":{}}');
      await sub.until(() => pubs(sub, ch).length === 2);
      assert.deepEqual(pubs(sub, ch)[1].data, { n: 2 });
      assert.equal(pubs(sub, ch)[1].offset, undefined);
      const h = await history(ch, { limit: -1 });
      assert.deepEqual(
        h.result.publications.map((p: any) => p.data),
        [{ n: 1 }],
      );
      assert.equal(h.result.offset, 1);
    });

    it('tags reach subscribers and history', async () => {
      const ch = fresh('hist:');
      const sub = await subscriber('u1', ch);
      const tags = { kind: 'alert', Mixed_Case: 'V' };
      await ts.api('publish', { channel: ch, data: { n: 1 }, tags });
      await sub.until(() => pubs(sub, ch).length === 1);
      assert.deepEqual(pubs(sub, ch)[0].tags, tags);
      assert.deepEqual((await history(ch, { limit: -1 })).result.publications, [{ data: { n: 1 }, offset: 1, tags }]);
    });

    it('idempotency_key: a repeat returns the first offset and delivers nothing', async () => {
      const ch = fresh('hist:');
      const sub = await subscriber('u1', ch);
      const first = await ts.api('publish', { channel: ch, data: { n: 1 }, idempotency_key: 'k1' });
      const again = await ts.api('publish', { channel: ch, data: { n: 'dup' }, idempotency_key: 'k1' });
      assert.deepEqual(again.json, first.json);
      assert.equal(first.json.result.offset, 1);
      // A later, different publish is the marker that everything before it arrived.
      const next = await ts.api('publish', { channel: ch, data: { n: 2 }, idempotency_key: 'k2' });
      assert.equal(next.json.result.offset, 2);
      await sub.until(() => pubs(sub, ch).some((p) => p.data.n === 2));
      assert.deepEqual(
        pubs(sub, ch).map((p) => p.data),
        [{ n: 1 }, { n: 2 }],
      );
      assert.deepEqual(
        (await history(ch, { limit: -1 })).result.publications.map((p: any) => [p.offset, p.data]),
        [
          [1, { n: 1 }],
          [2, { n: 2 }],
        ],
      );
    });

    it('idempotency keys are per channel; without history a repeat still delivers nothing', async () => {
      const a = fresh();
      const b = fresh();
      const sub = await subscriber('u1', a, b);
      await ts.api('publish', { channel: a, data: { n: 1 }, idempotency_key: 'same' });
      await ts.api('publish', { channel: a, data: { n: 2 }, idempotency_key: 'same' });
      await ts.api('publish', { channel: b, data: { n: 3 }, idempotency_key: 'same' });
      await ts.api('publish', { channel: a, data: { n: 4 } });
      await sub.until(() => pubs(sub, a).length >= 2 && pubs(sub, b).length === 1);
      assert.deepEqual(
        pubs(sub, a).map((p) => p.data.n),
        [1, 4],
      );
    });

    describe('publication_data_format', () => {
      const b64 = (s: string) => Buffer.from(s).toString('base64');

      it('default: data is required but may be any JSON, null included', async () => {
        assert.deepEqual((await ts.api('publish', { channel: 'plain:x' })).json, BAD_REQUEST);
        for (const data of [null, 0, '', [], {}]) {
          assert.deepEqual((await ts.api('publish', { channel: 'plain:x', data })).json, { result: {} }, JSON.stringify(data));
        }
        assert.deepEqual((await ts.api('publish', { channel: 'plain:x', b64data: b64('not json') })).json, { result: {} });
      });

      it('json: any valid JSON value', async () => {
        for (const data of [5, 'str', [1], { a: 1 }, null]) {
          assert.ok((await ts.api('publish', { channel: 'js:x', data })).json.result, JSON.stringify(data));
        }
        assert.deepEqual((await ts.api('publish', { channel: 'js:x', b64data: b64('not json') })).json, BAD_REQUEST);
        assert.deepEqual((await ts.api('publish', { channel: 'js:x' })).json, BAD_REQUEST);
      });

      it('json_object: only a JSON object', async () => {
        assert.ok((await ts.api('publish', { channel: 'jo:x', data: { a: 1 } })).json.result);
        assert.ok((await ts.api('publish', { channel: 'jo:x', b64data: b64(' {"a":1} ') })).json.result);
        for (const data of [[1], 'str', 5, null, true]) {
          assert.deepEqual((await ts.api('publish', { channel: 'jo:x', data })).json, BAD_REQUEST, JSON.stringify(data));
        }
        assert.deepEqual((await ts.api('publish', { channel: 'jo:x', b64data: b64('[]') })).json, BAD_REQUEST);
        assert.deepEqual((await ts.api('publish', { channel: 'jo:x', b64data: b64('{"a":') })).json, BAD_REQUEST);
        assert.deepEqual((await ts.api('publish', { channel: 'jo:x' })).json, BAD_REQUEST);
      });

      it('binary: anything, even nothing', async () => {
        assert.deepEqual((await ts.api('publish', { channel: 'bin:x' })).json, { result: {} });
        assert.deepEqual((await ts.api('publish', { channel: 'bin:x', b64data: 'AAEC/w==' })).json, { result: {} });
        assert.deepEqual((await ts.api('publish', { channel: 'bin:x', data: 1 })).json, { result: {} });
      });
    });
  });

  describe('broadcast', () => {
    it('publishes into every channel and answers per channel, in order', async () => {
      const a = fresh();
      const h = fresh('hist:');
      const sub = await subscriber('u1', a, h);
      const r = await ts.api('broadcast', { channels: [a, h, 'nope:x', '', 'jo:y'], data: [1, 2] });
      assert.equal(r.status, 200);
      const responses = r.json.result.responses;
      assert.equal(responses.length, 5);
      assert.deepEqual(responses[0], { result: {} });
      assert.equal(responses[1].result.offset, 1);
      assert.equal(typeof responses[1].result.epoch, 'string');
      assert.deepEqual(responses[2], UNKNOWN_CHANNEL);
      assert.deepEqual(responses[3], BAD_REQUEST);
      assert.deepEqual(responses[4], BAD_REQUEST); // json_object refuses an array
      await sub.until(() => pubs(sub, a).length === 1 && pubs(sub, h).length === 1);
      assert.deepEqual(pubs(sub, a)[0].data, [1, 2]);
      assert.deepEqual(pubs(sub, h)[0], { data: [1, 2], offset: 1, epoch: responses[1].result.epoch });
    });

    it('keeps the order of many channels', async () => {
      const channels = Array.from({ length: 60 }, (_, i) => (i % 3 === 0 ? `nope${i}:x` : i % 3 === 1 ? `hist:order${i}` : `plain${i}`));
      const r = await ts.api('broadcast', { channels, data: { x: 1 } });
      const responses = r.json.result.responses;
      assert.equal(responses.length, channels.length);
      channels.forEach((ch, i) => {
        if (i % 3 === 0) assert.deepEqual(responses[i], UNKNOWN_CHANNEL, ch);
        else if (i % 3 === 1) assert.equal(responses[i].result.offset, 1, ch);
        else assert.deepEqual(responses[i], { result: {} }, ch);
      });
    });

    it('passes skip_history, tags and b64data to every channel', async () => {
      const h1 = fresh('hist:');
      const h2 = fresh('hist:');
      await ts.api('publish', { channel: h1, data: 0 });
      const b64data = Buffer.from('{"v":1}').toString('base64');
      const r = await ts.api('broadcast', { channels: [h1, h2], b64data, tags: { t: '1' } });
      assert.equal(r.json.result.responses[0].result.offset, 2);
      assert.deepEqual((await history(h1, { limit: -1 })).result.publications[1], { data: { v: 1 }, offset: 2, tags: { t: '1' } });
      const skipped = await ts.api('broadcast', { channels: [h1, h2], data: 1, skip_history: true });
      assert.deepEqual(skipped.json.result.responses, [{ result: {} }, { result: {} }]);
    });

    it('answers 107 at the top for no channels or bad base64', async () => {
      assert.deepEqual((await ts.api('broadcast', { channels: [], data: 1 })).json, BAD_REQUEST);
      assert.deepEqual((await ts.api('broadcast', { data: 1 })).json, BAD_REQUEST);
      assert.deepEqual((await ts.api('broadcast', { channels: ['a'], b64data: '!!' })).json, BAD_REQUEST);
    });

    it('idempotency_key applies per channel', async () => {
      const h1 = fresh('hist:');
      const h2 = fresh('hist:');
      const first = await ts.api('broadcast', { channels: [h1, h2], data: 1, idempotency_key: 'b' });
      const again = await ts.api('broadcast', { channels: [h1, h2], data: 2, idempotency_key: 'b' });
      assert.deepEqual(again.json, first.json);
      assert.equal((await history(h1, { limit: -1 })).result.publications.length, 1);
    });
  });

  describe('history', () => {
    let ch: string;
    let epoch: string;

    before(async () => {
      ch = fresh('hist:');
      for (let n = 1; n <= 5; n++) {
        const r = await ts.api('publish', { channel: ch, data: { n } });
        epoch = r.json.result.epoch;
      }
    });

    const offsets = (h: any) => h.result.publications.map((p: any) => p.offset);

    it('limit omitted or 0: no publications, only the stream top', async () => {
      for (const req of [{}, { limit: 0 }]) {
        const r = await ts.api('history', { channel: ch, ...req });
        assert.equal(r.text, `{"result":{"publications":[],"offset":5,"epoch":${JSON.stringify(epoch)}}}`);
      }
    });

    it('limit -1: everything; N: the first N', async () => {
      const all = await history(ch, { limit: -1 });
      assert.deepEqual(offsets(all), [1, 2, 3, 4, 5]);
      assert.deepEqual(all.result.publications[0], { data: { n: 1 }, offset: 1 });
      assert.equal(all.result.offset, 5);
      assert.equal(all.result.epoch, epoch);
      assert.deepEqual(offsets(await history(ch, { limit: 2 })), [1, 2]);
      assert.deepEqual(offsets(await history(ch, { limit: 100 })), [1, 2, 3, 4, 5]);
    });

    it('since: publications after the offset', async () => {
      assert.deepEqual(offsets(await history(ch, { limit: -1, since: { offset: 2, epoch } })), [3, 4, 5]);
      assert.deepEqual(offsets(await history(ch, { limit: 1, since: { offset: 2, epoch } })), [3]);
      assert.deepEqual(offsets(await history(ch, { limit: -1, since: { offset: 5, epoch } })), []);
      assert.deepEqual(offsets(await history(ch, { limit: -1, since: { offset: 0, epoch } })), [1, 2, 3, 4, 5]);
      // An empty epoch is not checked.
      assert.deepEqual(offsets(await history(ch, { limit: -1, since: { offset: 3 } })), [4, 5]);
    });

    it('reverse: newest first, before since.offset when given', async () => {
      assert.deepEqual(offsets(await history(ch, { limit: -1, reverse: true })), [5, 4, 3, 2, 1]);
      assert.deepEqual(offsets(await history(ch, { limit: 2, reverse: true })), [5, 4]);
      assert.deepEqual(offsets(await history(ch, { limit: -1, reverse: true, since: { offset: 4, epoch } })), [3, 2, 1]);
      assert.deepEqual(offsets(await history(ch, { limit: 1, reverse: true, since: { offset: 4, epoch } })), [3]);
    });

    it('a since epoch that differs from the stream is 112', async () => {
      const r = await ts.api('history', { channel: ch, limit: -1, since: { offset: 1, epoch: 'other' } });
      assert.equal(r.status, 200);
      assert.equal(r.text, '{"error":{"code":112,"message":"unrecoverable position"}}');
    });

    it('reverse with since.offset 0 is an internal error (100), as in the library', async () => {
      const r = await ts.api('history', { channel: ch, limit: -1, reverse: true, since: { offset: 0, epoch } });
      assert.deepEqual(r.json, { error: { code: 100, message: 'internal server error' } });
    });

    it('108 without history, 102 for an unknown namespace, 107 for no channel', async () => {
      assert.deepEqual((await ts.api('history', { channel: 'plain:x', limit: -1 })).json, NOT_AVAILABLE);
      assert.deepEqual((await ts.api('history', { channel: 'nohist', limit: -1 })).json, NOT_AVAILABLE);
      assert.deepEqual((await ts.api('history', { channel: 'nope:x' })).json, UNKNOWN_CHANNEL);
      assert.deepEqual((await ts.api('history', { channel: '' })).json, BAD_REQUEST);
    });

    it('a channel never published to gets an epoch on the first read, kept afterwards', async () => {
      const c = fresh('hist:');
      const first = await history(c, { limit: -1 });
      assert.deepEqual(first.result.publications, []);
      assert.equal(first.result.offset, 0);
      assert.ok(first.result.epoch.length > 0);
      assert.equal((await history(c)).result.epoch, first.result.epoch);
      const pub = await ts.api('publish', { channel: c, data: 1 });
      assert.deepEqual(pub.json.result, { offset: 1, epoch: first.result.epoch });
    });

    it('keeps only the last history_size publications', async () => {
      const c = fresh('small:');
      for (let n = 1; n <= 5; n++) await ts.api('publish', { channel: c, data: n });
      const h = await history(c, { limit: -1 });
      assert.deepEqual(offsets(h), [3, 4, 5]);
      assert.equal(h.result.offset, 5);
      assert.deepEqual(offsets(await history(c, { limit: -1, since: { offset: 1, epoch: h.result.epoch } })), [3, 4, 5]);
    });
  });

  describe('history_remove', () => {
    it('removes the publications and keeps offset and epoch', async () => {
      const ch = fresh('hist:');
      let epoch = '';
      for (let n = 1; n <= 3; n++) epoch = (await ts.api('publish', { channel: ch, data: n })).json.result.epoch;
      const r = await ts.api('history_remove', { channel: ch });
      assert.equal(r.status, 200);
      assert.equal(r.text, '{"result":{}}');
      const h = await history(ch, { limit: -1 });
      assert.deepEqual(h.result, { publications: [], offset: 3, epoch });
      const next = await ts.api('publish', { channel: ch, data: 4 });
      assert.deepEqual(next.json.result, { offset: 4, epoch });
      assert.deepEqual(offsets(await history(ch, { limit: -1 })), [4]);
    });

    const offsets = (h: any) => h.result.publications.map((p: any) => p.offset);

    it('108 without history, 102 unknown namespace, 107 no channel', async () => {
      assert.deepEqual((await ts.api('history_remove', { channel: 'plain:x' })).json, NOT_AVAILABLE);
      assert.deepEqual((await ts.api('history_remove', { channel: 'nope:x' })).json, UNKNOWN_CHANNEL);
      assert.deepEqual((await ts.api('history_remove', {})).json, BAD_REQUEST);
    });
  });

  describe('raw JSON payloads', () => {
    it('keeps data byte-for-byte from publish to history', async () => {
      const ch = fresh('hist:');
      const r = await post(ts, 'publish', `{"channel":"${ch}","data":{"a": 1.0,  "b":[1,2]}}`);
      assert.equal(r.status, 200);
      const h = await post(ts, 'history', `{"channel":"${ch}","limit":-1}`);
      assert.ok(h.text.includes('"publications":[{"data":{"a": 1.0,  "b":[1,2]},"offset":1}]'), h.text);
    });

    it('keeps escapes, unicode and number spellings as sent', async () => {
      const ch = fresh('hist:');
      const data = '[ "\\u00e9\\n\\"q\\"", 1e3, -0.50, "é", {"k" :true} ]';
      await post(ts, 'publish', `{"channel":"${ch}","data":${data}}`);
      const h = await post(ts, 'history', `{"channel":"${ch}","limit":-1}`);
      assert.ok(h.text.includes(`"data":${data},`), h.text);
    });

    it('strips newlines from the whitespace of a payload', async () => {
      const ch = fresh('hist:');
      await post(ts, 'publish', `{"channel":"${ch}","data":{"a":\n 1,\r\n "b": [\n2]}}`);
      const h = await post(ts, 'history', `{"channel":"${ch}","limit":-1}`);
      assert.ok(h.text.includes('"data":{"a": 1,\r "b": [2]}'), h.text);
      assert.deepEqual(JSON.parse(h.text).result.publications[0].data, { a: 1, b: [2] });
    });

    it('keeps data verbatim through broadcast and batch too', async () => {
      const a = fresh('hist:');
      const b = fresh('hist:');
      await post(ts, 'broadcast', `{"channels":["${a}"],"data":{ "x" : 1 }}`);
      await post(ts, 'batch', `{"commands":[{"publish":{"channel":"${b}","data":[ 1,  2 ]}}]}`);
      assert.ok((await post(ts, 'history', `{"channel":"${a}","limit":-1}`)).text.includes('"data":{ "x" : 1 }'));
      assert.ok((await post(ts, 'history', `{"channel":"${b}","limit":-1}`)).text.includes('"data":[ 1,  2 ]'));
    });

    it('a stored b64data payload that is not JSON makes replies embedding it a 500, as in Go', async () => {
      const ch = fresh('hist:');
      const pub = await ts.api('publish', { channel: ch, b64data: Buffer.from('not json').toString('base64') });
      assert.equal(pub.json.result.offset, 1);
      // The stream top has no payload in it and still works.
      assert.equal((await history(ch)).result.offset, 1);
      for (const [method, body] of [
        ['history', `{"channel":"${ch}","limit":-1}`],
        ['batch', `{"commands":[{"history":{"channel":"${ch}","limit":-1}}]}`],
        ['batch', `{"commands":[{"publish":{"channel":"${ch}x","data":{}}},{"history":{"channel":"${ch}","limit":-1}}]}`],
      ] as const) {
        const r = await post(ts, method, body);
        assert.equal(r.status, 500, method);
        assert.equal(r.text, 'Internal Server Error\n', method);
      }
      const legacy = await fetch(`${ts.httpUrl}/api`, {
        method: 'POST',
        headers: { 'X-API-Key': API_KEY },
        body: `{"method":"history","params":{"channel":"${ch}","limit":-1}}`,
      });
      assert.equal(legacy.status, 500);
      await legacy.text();
      // After a new, valid publication the old one is still in the way; removing history clears it.
      await ts.api('history_remove', { channel: ch });
      assert.deepEqual((await history(ch, { limit: -1 })).result.publications, []);
    });

    it('matches request keys case-insensitively, raw data included', async () => {
      const ch = fresh('hist:');
      const r = await post(ts, 'publish', `{"Channel":"${ch}","DATA":{"k":  1}}`);
      assert.equal(JSON.parse(r.text).result.offset, 1);
      assert.ok((await post(ts, 'history', `{"channel":"${ch}","limit":-1}`)).text.includes('"data":{"k":  1}'));
    });
  });
});
