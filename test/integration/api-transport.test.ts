// The server API's HTTP surface: routing, methods, auth, body decoding,
// transport error mode, the legacy /api route, batch and rpc, plus /health
// and /metrics. Every request is a real HTTP request.

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { defaultChannelOptions } from '../../src/config/schema.js';
import type { ChannelOptions, NamespaceConfig } from '../../src/config/schema.js';
import { API_KEY, startServer, type TestServer } from '../helpers/server.js';

function ns(name: string, opts: Partial<ChannelOptions> = {}): NamespaceConfig {
  return { ...defaultChannelOptions(), allow_subscribe_for_client: true, ...opts, name };
}

const CONFIG = {
  channel: {
    without_namespace: { allow_subscribe_for_client: true },
    namespaces: [ns('hist', { history_size: 10, history_ttl: 300_000 }), ns('pres', { presence: true })],
  },
};

const BAD_REQUEST = { error: { code: 107, message: 'bad request' } };
const NOT_FOUND = { error: { code: 104, message: 'not found' } };
const UNKNOWN_CHANNEL = { error: { code: 102, message: 'unknown channel' } };

interface Reply {
  status: number;
  text: string;
  json: any;
  type: string | null;
  headers: Headers;
}

/** One HTTP request to the server; `body` strings are sent as they are. */
async function request(
  ts: TestServer,
  path: string,
  opts: { method?: string; body?: unknown; headers?: Record<string, string>; key?: string | null } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...opts.headers };
  const key = opts.key === undefined ? API_KEY : opts.key;
  if (key !== null) headers['X-API-Key'] = key;
  const method = opts.method ?? 'POST';
  const body = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
  const res = await fetch(ts.httpUrl + path, { method, headers, body: method === 'GET' || method === 'HEAD' ? undefined : body });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json, type: res.headers.get('content-type'), headers: res.headers };
}

function assertBadRequest(r: Reply, what = ''): void {
  assert.equal(r.status, 400, `${what}: ${r.status} ${r.text}`);
  assert.equal(r.text, 'Bad Request\n', what);
  assert.equal(r.type, 'text/plain; charset=utf-8', what);
}

/** Sends bytes over a plain socket and closes it without waiting for an answer. */
function rawSocket(ts: TestServer, data: string): Promise<void> {
  const { port } = new URL(ts.httpUrl);
  return new Promise((resolve) => {
    const s = net.connect(Number(port), '127.0.0.1', () => {
      s.write(data, () => {
        s.destroy();
        resolve();
      });
    });
    s.on('error', () => resolve());
  });
}

describe('server API over HTTP', () => {
  let ts: TestServer;
  before(async () => {
    ts = await startServer(CONFIG);
  });
  after(() => ts.stop());

  describe('routing and methods', () => {
    it('answers a method route with application/json', async () => {
      const r = await request(ts, '/api/info', { body: {} });
      assert.equal(r.status, 200);
      assert.equal(r.type, 'application/json');
      assert.equal(r.json.result.nodes.length, 1);
      const e = await request(ts, '/api/publish', { body: { channel: 'nope:x', data: 1 } });
      assert.equal(e.status, 200);
      assert.equal(e.type, 'application/json');
      assert.deepEqual(e.json, UNKNOWN_CHANNEL);
    });

    it('accepts only POST: others get 405 with an empty body', async () => {
      for (const method of ['GET', 'PUT', 'DELETE', 'PATCH']) {
        for (const path of ['/api/publish', '/api/info', '/api']) {
          const r = await request(ts, path, { method, body: '{}' });
          assert.equal(r.status, 405, `${method} ${path}`);
          assert.equal(r.text, '', `${method} ${path}`);
        }
      }
    });

    it('an unknown method path is the router 404, before the method and key checks', async () => {
      for (const path of ['/api/nope', '/api/connections', '/api/update_user_status', '/api/', '/api/publish/', '/api/Publish']) {
        const r = await request(ts, path, { body: {} });
        assert.equal(r.status, 404, path);
        assert.equal(r.text, '404 page not found\n', path);
        assert.equal((await request(ts, path, { method: 'GET', key: null })).status, 404, path);
      }
    });

    it('serves every documented method route', async () => {
      for (const method of [
        'batch',
        'publish',
        'broadcast',
        'subscribe',
        'unsubscribe',
        'disconnect',
        'presence',
        'presence_stats',
        'history',
        'history_remove',
        'info',
        'rpc',
        'refresh',
        'channels',
      ]) {
        const r = await request(ts, `/api/${method}`, { body: {} });
        assert.equal(r.status, 200, method);
        // batch answers its BatchResponse bare: `{}` for no commands.
        if (method === 'batch') assert.deepEqual(r.json, {}, r.text);
        else assert.ok(r.json && (r.json.result || r.json.error), `${method}: ${r.text}`);
      }
    });
  });

  describe('body decoding', () => {
    it('an empty body is 400 Bad Request', async () => {
      assertBadRequest(await request(ts, '/api/publish', { body: '' }), 'empty');
      assertBadRequest(await request(ts, '/api/info'), 'no body');
      assertBadRequest(await request(ts, '/api/info', { body: ' \n' }), 'whitespace');
    });

    it('malformed JSON is 400', async () => {
      for (const body of ['{', '{"channel":', 'nope', '{"a":1}x', '{"a":1}{"b":2}', "{'a':1}", '{"a":01}']) {
        assertBadRequest(await request(ts, '/api/publish', { body }), body);
      }
    });

    it('a body that is not an object is 400; null is an empty request', async () => {
      for (const body of ['[]', '"str"', '5', 'true', '[{"channel":"x"}]']) {
        assertBadRequest(await request(ts, '/api/publish', { body }), body);
      }
      assert.deepEqual((await request(ts, '/api/publish', { body: 'null' })).json, BAD_REQUEST);
      assert.equal((await request(ts, '/api/info', { body: 'null' })).status, 200);
    });

    it('a wrong JSON type for a field is 400, wherever the field is', async () => {
      const cases: Array<[string, unknown]> = [
        ['publish', { channel: 5, data: 1 }],
        ['publish', { channel: 'x', data: 1, skip_history: 'yes' }],
        ['publish', { channel: 'nope:x', data: 1, tags: { a: 1 } }],
        ['publish', { channel: '', data: 1, version: -1 }],
        ['broadcast', { channels: 'x', data: 1 }],
        ['history', { channel: 'hist:x', limit: '5' }],
        ['history', { channel: 'hist:x', since: { offset: 'x' } }],
        ['subscribe', { channel: 'x', user: 42 }],
        ['disconnect', { user: 'u', disconnect: { code: 'x' } }],
        ['refresh', { user: 'u', expired: 'true' }],
        ['presence', { channel: ['x'] }],
        ['channels', { pattern: 1 }],
        ['rpc', { method: 1 }],
        ['batch', { commands: [{ publish: { channel: 1 } }] }],
      ];
      for (const [method, body] of cases) {
        assertBadRequest(await request(ts, `/api/${method}`, { body }), `${method} ${JSON.stringify(body)}`);
      }
    });

    it('ignores unknown fields and matches known ones case-insensitively', async () => {
      const r = await request(ts, '/api/publish', { body: { CHANNEL: 'hist:case', Data: { a: 1 }, unknown: [1, { x: 2 }] } });
      assert.equal(r.json.result.offset, 1);
      const h = await request(ts, '/api/history', { body: { channel: 'hist:case', LIMIT: -1 } });
      assert.deepEqual(h.json.result.publications, [{ data: { a: 1 }, offset: 1 }]);
    });

    it('a wrong type in a batch refuses the whole batch before anything runs', async () => {
      const r = await request(ts, '/api/batch', {
        body: { commands: [{ publish: { channel: 'hist:batch-atomic', data: 1 } }, { history: { channel: 'hist:x', limit: 'x' } }] },
      });
      assertBadRequest(r);
      const h = await request(ts, '/api/history', { body: { channel: 'hist:batch-atomic' } });
      assert.equal(h.json.result.offset, 0);
    });

    it('keeps serving after bad requests', async () => {
      const garbage = [
        '\u0000\u0001\u0002',
        '\xff\xfe{',
        '{"channel":"x","data":' + '['.repeat(100_000) + ']'.repeat(100_000) + '}',
        '{"channel":"x","tags":' + '{"a":'.repeat(50_000) + '1' + '}'.repeat(50_000) + '}',
        '{"channel":"x","data":"\\ud800"}',
      ];
      for (const body of garbage) {
        const r = await request(ts, '/api/publish', { body });
        assert.ok(r.status === 400 || r.status === 200, `${r.status} ${r.text.slice(0, 100)}`);
      }
      await request(ts, '/api', { body: '{"method":"publish","params":' + '['.repeat(100_000) });
      // A request that announces more body than it sends, then hangs up.
      await rawSocket(ts, 'POST /api/publish HTTP/1.1\r\nHost: x\r\nX-API-Key: ' + API_KEY + '\r\nContent-Length: 1000\r\n\r\n{"chan');
      await rawSocket(ts, 'POST /api/publish HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n');
      const ok = await request(ts, '/api/publish', { body: { channel: 'hist:after-garbage', data: { ok: true } } });
      assert.equal(ok.status, 200);
      assert.equal(ok.json.result.offset, 1);
    });
  });

  describe('transport error mode', () => {
    const TRANSPORT = { 'X-Centrifugo-Error-Mode': 'transport' };

    it('maps errors to HTTP statuses and returns the bare error object', async () => {
      await request(ts, '/api/publish', { body: { channel: 'hist:tm', data: 1 } });
      const cases: Array<[string, unknown, number, number]> = [
        ['publish', { channel: 'nope:x', data: 1 }, 404, 102],
        ['publish', { channel: '', data: 1 }, 400, 107],
        ['presence', { channel: 'hist:tm' }, 400, 108],
        ['history', { channel: 'hist:tm', since: { offset: 1, epoch: 'bad' } }, 416, 112],
        ['history', { channel: 'hist:tm', reverse: true, since: { offset: 0 } }, 500, 100],
        ['rpc', { method: 'x' }, 404, 104],
      ];
      const messages: Record<number, string> = {
        100: 'internal server error',
        102: 'unknown channel',
        104: 'not found',
        107: 'bad request',
        108: 'not available',
        112: 'unrecoverable position',
      };
      for (const [method, body, status, code] of cases) {
        const r = await request(ts, `/api/${method}`, { body, headers: TRANSPORT });
        assert.equal(r.status, status, `${method} → ${r.text}`);
        assert.equal(r.type, 'application/json');
        assert.equal(r.text, JSON.stringify({ code, message: messages[code] }));
      }
    });

    it('leaves successes as they are', async () => {
      const r = await request(ts, '/api/publish', { body: { channel: 'plain-tm', data: 1 }, headers: TRANSPORT });
      assert.equal(r.status, 200);
      assert.equal(r.text, '{"result":{}}');
    });

    it('batch ignores it', async () => {
      const r = await request(ts, '/api/batch', { body: { commands: [{ publish: { channel: 'nope:x', data: 1 } }] }, headers: TRANSPORT });
      assert.equal(r.status, 200);
      assert.deepEqual(r.json, { replies: [UNKNOWN_CHANNEL] });
    });

    it('decode errors stay plain 400s', async () => {
      assertBadRequest(await request(ts, '/api/publish', { body: '{', headers: TRANSPORT }));
    });

    it('other header values keep the default mode', async () => {
      const r = await request(ts, '/api/publish', { body: { channel: 'nope:x' }, headers: { 'X-Centrifugo-Error-Mode': 'body' } });
      assert.equal(r.status, 200);
    });
  });

  describe('JSON nesting', () => {
    // Go's encoding/json refuses a document deeper than 10,000 (the request object counts).
    // The pairs below are where a reference Centrifugo v6 turns from 200 to 400.
    const nested = (n: number) => '['.repeat(n) + ']'.repeat(n);
    it('data nested to the whole document depth of 10,000 is accepted, one more is 400, on every route', async () => {
      const cases: [string, (n: number) => string, number][] = [
        ['/api/publish', (n) => `{"channel":"plain-deep","data":${nested(n)}}`, 9999],
        ['/api/batch', (n) => `{"commands":[{"publish":{"channel":"plain-deep","data":${nested(n)}}}]}`, 9996],
        ['/api', (n) => `{"method":"publish","params":{"channel":"plain-deep","data":${nested(n)}}}`, 9998],
      ];
      for (const [path, body, deepest] of cases) {
        assert.equal((await request(ts, path, { body: body(deepest) })).status, 200, `${path} at ${deepest}`);
        assertBadRequest(await request(ts, path, { body: body(deepest + 1) }), `${path} at ${deepest + 1}`);
      }
    });

    it('brackets inside strings do not count', async () => {
      const r = await request(ts, '/api/publish', { body: `{"channel":"plain-deep","data":{"s":"${'['.repeat(30_000)}"}}` });
      assert.equal(r.status, 200, r.text);
    });
  });

  describe('batch', () => {
    it('runs commands in order and answers in order', async () => {
      const r = await request(ts, '/api/batch', {
        body: {
          commands: [
            { publish: { channel: 'hist:seq', data: { n: 1 } } },
            { publish: { channel: 'hist:seq', data: { n: 2 } } },
            { history: { channel: 'hist:seq', limit: -1 } },
            { publish: { channel: 'nope:x', data: 1 } },
            { presence: { channel: 'hist:seq' } },
            { presence_stats: { channel: 'pres:seq' } },
            { info: {} },
            { rpc: { method: '' } },
            { history_remove: { channel: 'hist:seq' } },
            { history: { channel: 'hist:seq', limit: -1 } },
          ],
        },
      });
      assert.equal(r.status, 200);
      const [p1, p2, h, bad, pres, stats, info, rpc, removed, h2] = r.json.replies;
      assert.equal(r.json.replies.length, 10);
      assert.equal(p1.publish.offset, 1);
      assert.equal(p2.publish.offset, 2);
      assert.deepEqual(
        h.history.publications.map((p: any) => p.data.n),
        [1, 2],
      );
      assert.deepEqual(bad, UNKNOWN_CHANNEL);
      assert.deepEqual(pres, { error: { code: 108, message: 'not available' } });
      assert.deepEqual(stats, { presence_stats: { num_clients: 0, num_users: 0 } });
      assert.equal(info.info.nodes.length, 1);
      assert.deepEqual(rpc, BAD_REQUEST);
      assert.deepEqual(removed, { history_remove: {} });
      assert.deepEqual(h2.history, { publications: [], offset: 2, epoch: p1.publish.epoch });
    });

    it('encodes replies like Go: one key per reply', async () => {
      const r = await request(ts, '/api/batch', {
        body: { commands: [{ publish: { channel: 'plain-b', data: 1 } }, { publish: { channel: 'nope:x', data: 1 } }] },
      });
      assert.equal(r.text, '{"replies":[{"publish":{}},{"error":{"code":102,"message":"unknown channel"}}]}');
    });

    it('parallel: replies still match the command order', async () => {
      const commands = Array.from({ length: 90 }, (_, i) =>
        i % 3 === 0
          ? { publish: { channel: `hist:par${i}`, data: i } }
          : i % 3 === 1
            ? { publish: { channel: `nope${i}:x`, data: i } }
            : { history: { channel: `hist:par${i - 2}`, limit: -1 } },
      );
      const r = await request(ts, '/api/batch', { body: { commands, parallel: true } });
      assert.equal(r.status, 200);
      const replies = r.json.replies;
      assert.equal(replies.length, 90);
      replies.forEach((rep: any, i: number) => {
        if (i % 3 === 0) assert.equal(rep.publish.offset, 1, String(i));
        else if (i % 3 === 1) assert.deepEqual(rep, UNKNOWN_CHANNEL, String(i));
        else assert.ok(Array.isArray(rep.history.publications), String(i));
      });
    });

    it('an unknown or empty command is 104; a null command is 107', async () => {
      const r = await request(ts, '/api/batch', {
        body: { commands: [{ connections: {} }, {}, null, { publish: null }, { info: {} }] },
      });
      assert.equal(r.status, 200);
      const replies = r.json.replies;
      assert.deepEqual(replies.slice(0, 4), [NOT_FOUND, NOT_FOUND, BAD_REQUEST, NOT_FOUND]);
      assert.ok(replies[4].info);
    });

    it('with several method keys, the first in Centrifugo order wins', async () => {
      const r = await request(ts, '/api/batch', {
        body: { commands: [{ info: {}, history: { channel: 'hist:multi' }, publish: { channel: 'hist:multi', data: 1 } }] },
      });
      const [reply] = r.json.replies;
      assert.deepEqual(Object.keys(reply), ['publish']);
      assert.equal(reply.publish.offset, 1);
    });

    it('no commands, no replies', async () => {
      assert.equal((await request(ts, '/api/batch', { body: { commands: [] } })).text, '{}');
      assert.equal((await request(ts, '/api/batch', { body: {} })).text, '{}');
    });
  });

  describe('rpc', () => {
    it('107 without a method, 104 for any method', async () => {
      assert.deepEqual((await request(ts, '/api/rpc', { body: {} })).json, BAD_REQUEST);
      assert.deepEqual((await request(ts, '/api/rpc', { body: { method: '' } })).json, BAD_REQUEST);
      assert.deepEqual((await request(ts, '/api/rpc', { body: { method: 'getUserStatus', params: { users: ['1'] } } })).json, NOT_FOUND);
    });
  });

  describe('legacy /api route', () => {
    it('answers newline-separated commands one line each, echoing ids', async () => {
      const body = [
        '{"id":1,"method":"publish","params":{"channel":"hist:legacy","data":{"n":1}}}',
        '{"id":2,"method":"history","params":{"channel":"hist:legacy","limit":-1}}',
        '{"id":3,"method":"info","params":{}}',
      ].join('\n');
      const r = await request(ts, '/api', { body });
      assert.equal(r.status, 200);
      assert.equal(r.type, 'application/json');
      const lines = r.text.split('\n');
      assert.equal(lines.length, 3);
      const [pub, hist, info] = lines.map((l) => JSON.parse(l));
      assert.equal(pub.id, 1);
      assert.equal(pub.result.offset, 1);
      assert.deepEqual(hist, {
        id: 2,
        result: { publications: [{ data: { n: 1 }, offset: 1 }], offset: 1, epoch: pub.result.epoch },
      });
      assert.equal(info.id, 3);
      assert.equal(info.result.nodes.length, 1);
    });

    it('answers concatenated commands', async () => {
      const r = await request(ts, '/api', {
        body: '{"id":5,"method":"publish","params":{"channel":"legacy-plain","data":1}}{"id":6,"method":"publish","params":{"channel":"nope:x","data":1}}',
      });
      assert.equal(r.text, '{"id":5,"result":{}}\n{"id":6,"error":{"code":102,"message":"unknown channel"}}');
    });

    it('takes numeric methods and names in any case; omits id 0', async () => {
      const r = await request(ts, '/api', {
        body: '{"method":0,"params":{"channel":"legacy-plain","data":1}}\n{"id":0,"method":"PRESENCE_STATS","params":{"channel":"pres:l"}}\n{"method":5,"params":{"channel":"pres:l"}}',
      });
      assert.equal(r.text, '{"result":{}}\n{"result":{"num_clients":0,"num_users":0}}\n{"result":{"num_clients":0,"num_users":0}}');
    });

    it('missing params is 107 (info needs none); an unknown method number is 104', async () => {
      const r = await request(ts, '/api', {
        body: '{"id":1,"method":"publish"}\n{"id":2,"method":13,"params":{}}\n{"id":3,"method":"connections","params":{}}\n{"id":4,"method":"info"}',
      });
      const lines = r.text.split('\n').map((l) => JSON.parse(l));
      assert.deepEqual(lines.slice(0, 3), [
        { id: 1, ...BAD_REQUEST },
        { id: 2, ...NOT_FOUND },
        { id: 3, ...NOT_FOUND },
      ]);
      assert.equal(lines[3].id, 4);
      assert.ok(lines[3].result.nodes);
    });

    it('wrong param types reply 107 for that command only', async () => {
      const r = await request(ts, '/api', {
        body: '{"id":1,"method":"publish","params":{"channel":5}}\n{"id":2,"method":"publish","params":5}\n{"id":3,"method":"publish","params":{"channel":"legacy-plain","data":2}}',
      });
      assert.equal(
        r.text,
        '{"id":1,"error":{"code":107,"message":"bad request"}}\n{"id":2,"error":{"code":107,"message":"bad request"}}\n{"id":3,"result":{}}',
      );
    });

    it('keeps raw data byte-for-byte', async () => {
      await request(ts, '/api', { body: '{"method":"publish","params":{"channel":"hist:legacy-raw","data":{"a": 1.0,  "b":[1,2]}}}' });
      const r = await request(ts, '/api', { body: '{"method":"history","params":{"channel":"hist:legacy-raw","limit":-1}}' });
      assert.ok(r.text.includes('"data":{"a": 1.0,  "b":[1,2]}'), r.text);
    });

    it('refuses an empty body, garbage and undecodable methods with 400; whitespace gets an empty 200', async () => {
      assertBadRequest(await request(ts, '/api', { body: '' }), 'empty');
      for (const body of ['garbage', '{"method":"publish"', '{"method":"nope","params":{}}', '{"method":"info","params":{}} x', '[1]']) {
        assertBadRequest(await request(ts, '/api', { body }), body);
      }
      const ws = await request(ts, '/api', { body: '\n \n' });
      assert.equal(ws.status, 200);
      assert.equal(ws.text, '');
    });

    it('needs the API key like the method routes', async () => {
      assert.equal((await request(ts, '/api', { body: '{"method":"info","params":{}}', key: null })).status, 401);
      assert.equal((await request(ts, '/api', { body: '{"method":"info","params":{}}', key: 'wrong' })).status, 401);
    });
  });

  describe('/health and /metrics', () => {
    it('/health is 200 {}', async () => {
      const r = await request(ts, '/health', { method: 'GET', key: null });
      assert.equal(r.status, 200);
      assert.equal(r.text, '{}');
      assert.equal(r.type, 'application/json');
    });

    it('/metrics has API command durations and errors by method', async () => {
      await request(ts, '/api/publish', { body: { channel: 'metrics-ch', data: 1 } });
      await request(ts, '/api/info', { body: {} });
      await request(ts, '/api/history', { body: { channel: 'nope:x' } });
      await request(ts, '/api/batch', { body: { commands: [{ presence_stats: { channel: 'pres:m' } }] } });
      await request(ts, '/api/channels', { body: '{' });
      await request(ts, '/api', { body: '{"method":"history_remove","params":{"channel":"hist:m"}}' });
      const r = await request(ts, '/metrics', { method: 'GET', key: null });
      assert.equal(r.status, 200);
      const count = (method: string) => {
        const m = r.text.match(new RegExp(`^centrifugo_api_command_duration_seconds_count\\{([^}]*)\\} (\\d+)$`, 'gm')) ?? [];
        return m.filter((line) => line.includes(`method="${method}"`) && line.includes('protocol="http"')).length;
      };
      for (const method of ['publish', 'info', 'history', 'batch', 'presence_stats', 'history_remove']) {
        assert.equal(count(method), 1, `duration series for ${method}`);
      }
      assert.match(r.text, /^centrifugo_api_command_duration_seconds_bucket\{[^}]*method="publish"[^}]*\} \d+$/m);
      assert.match(r.text, /^centrifugo_api_command_errors_total\{(?=[^}]*method="history")(?=[^}]*error="102")[^}]*\} [1-9]\d*$/m);
      assert.match(r.text, /^centrifugo_api_command_errors_total\{(?=[^}]*method="channels")(?=[^}]*error="unmarshal")[^}]*\} [1-9]\d*$/m);
    });
  });
});

describe('server API auth', () => {
  const servers: TestServer[] = [];
  after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });
  const start = async (overrides: Parameters<typeof startServer>[0]) => {
    const s = await startServer(overrides);
    servers.push(s);
    return s;
  };

  it('with no key configured, everything is 401', async () => {
    const ts = await start({ http_api: { key: '' } });
    const headerSets: Array<Record<string, string>> = [{}, { 'X-API-Key': '' }, { 'X-API-Key': 'anything' }, { Authorization: 'apikey ' }];
    for (const headers of headerSets) {
      const r = await request(ts, '/api/info', { body: {}, headers, key: null });
      assert.equal(r.status, 401, JSON.stringify(headers));
      assert.equal(r.text, '');
    }
    assert.equal((await request(ts, '/api/info?api_key=', { body: {}, key: null })).status, 401);
    assert.equal((await request(ts, '/api', { body: '{"method":"info","params":{}}', key: null })).status, 401);
  });

  it('accepts the key in X-API-Key, Authorization: apikey, or ?api_key', async () => {
    const ts = await start({});
    const ok = async (path: string, headers: Record<string, string>) => (await request(ts, path, { body: {}, headers, key: null })).status;
    assert.equal(await ok('/api/info', { 'X-API-Key': API_KEY }), 200);
    assert.equal(await ok('/api/info', { Authorization: `apikey ${API_KEY}` }), 200);
    assert.equal(await ok('/api/info', { Authorization: `APIKEY ${API_KEY}` }), 200);
    assert.equal(await ok('/api/info', { Authorization: `ApiKey   ${API_KEY}` }), 200);
    assert.equal(await ok(`/api/info?api_key=${API_KEY}`, {}), 200);
    assert.equal(await ok(`/api/info?x=1&api_key=${API_KEY}`, {}), 200);
    // A wrong X-API-Key is not rescued by Authorization, but is by ?api_key.
    assert.equal(await ok('/api/info', { 'X-API-Key': 'wrong', Authorization: `apikey ${API_KEY}` }), 401);
    assert.equal(await ok(`/api/info?api_key=${API_KEY}`, { 'X-API-Key': 'wrong' }), 200);
  });

  it('refuses wrong or missing keys with an empty 401', async () => {
    const ts = await start({});
    const cases: Array<[string, Record<string, string>]> = [
      ['/api/info', {}],
      ['/api/info', { 'X-API-Key': 'wrong' }],
      ['/api/info', { Authorization: `Bearer ${API_KEY}` }],
      ['/api/info', { Authorization: API_KEY }],
      ['/api/info', { Authorization: `apikey ${API_KEY} more` }],
      ['/api/info?api_key=wrong', {}],
      ['/api/info?apikey=' + API_KEY, {}],
    ];
    for (const [path, headers] of cases) {
      const r = await request(ts, path, { body: {}, headers, key: null });
      assert.equal(r.status, 401, `${path} ${JSON.stringify(headers)}`);
      assert.equal(r.text, '');
    }
  });

  it('http_api.insecure needs no key', async () => {
    const ts = await start({ http_api: { insecure: true, key: '' } });
    assert.equal((await request(ts, '/api/info', { body: {}, key: null })).status, 200);
    assert.equal((await request(ts, '/api', { body: '{"method":"info","params":{}}', key: null })).status, 200);
    assert.equal((await request(ts, '/api/info', { body: {}, key: 'whatever' })).status, 200);
  });

  it('http_api.error_mode: transport applies to every request', async () => {
    const ts = await start({ http_api: { error_mode: 'transport' } });
    const r = await request(ts, '/api/publish', { body: { channel: 'nope:x', data: 1 } });
    assert.equal(r.status, 404);
    assert.equal(r.text, '{"code":102,"message":"unknown channel"}');
    const bad = await request(ts, '/api/publish', { body: { channel: '', data: 1 } });
    assert.equal(bad.status, 400);
    assert.equal(bad.text, '{"code":107,"message":"bad request"}');
    const batch = await request(ts, '/api/batch', { body: { commands: [{ publish: { channel: 'nope:x', data: 1 } }] } });
    assert.equal(batch.status, 200);
    assert.equal((await request(ts, '/api/publish', { body: { channel: 'ok', data: 1 } })).text, '{"result":{}}');
  });

  it('a custom handler_prefix moves both routes', async () => {
    const ts = await start({ http_api: { handler_prefix: '/server/api/' } });
    assert.equal((await request(ts, '/server/api/info', { body: {} })).status, 200);
    assert.equal((await request(ts, '/server/api', { body: '{"method":"info","params":{}}' })).status, 200);
    assert.equal((await request(ts, '/api/info', { body: {} })).status, 404);
  });

  it('handler_prefix "/" serves methods at the root and leaves /health alone', async () => {
    const ts = await start({ http_api: { handler_prefix: '/' } });
    assert.equal((await request(ts, '/info', { body: {} })).status, 200);
    assert.equal((await request(ts, '/', { body: '{"method":"info","params":{}}' })).status, 200);
    const health = await request(ts, '/health', { method: 'GET', key: null });
    assert.equal(health.status, 200);
    assert.equal(health.text, '{}');
    assert.equal((await request(ts, '/metrics', { method: 'GET', key: null })).status, 200);
  });
});
