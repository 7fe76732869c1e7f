// Consumer command dispatch (consumers.md §4): envelopes, supported methods,
// retry classification, the derived idempotency key; against a real node.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Dispatcher } from '../../../src/api/dispatcher.js';
import { consumeCommand, type CommandOptions, type CommandOutcome } from '../../../src/consumers/command.js';
import { Backoff } from '../../../src/consumers/backoff.js';
import { renderMigration } from '../../../src/consumers/postgres-outbox/migrate.js';
import type { PublishOptions, PublishResult } from '../../../src/engines/broker.js';
import { MemoryBroker } from '../../../src/engines/memory/memory-broker.js';
import { MemoryPresenceManager } from '../../../src/engines/memory/memory-presence-manager.js';
import { silentLogger } from '../../../src/log.js';
import { Metrics } from '../../../src/metrics.js';
import { Node } from '../../../src/node/node.js';
import type { Raw } from '../../../src/protocol/types.js';
import { testConfig } from '../../helpers/server.js';

/** consumeCommand, always as a promise. */
const dispatchCommand = async (dispatcher: Dispatcher, method: string, text: string, opts: CommandOptions = {}): Promise<CommandOutcome> =>
  consumeCommand(dispatcher, method, text, opts);

class FailingBroker extends MemoryBroker {
  readonly failing = new Set<string>();
  override publish(channel: string, data: Raw, opts: PublishOptions): Promise<PublishResult> {
    if (this.failing.has(channel)) return Promise.reject(new Error('down'));
    return super.publish(channel, data, opts);
  }
  override publishNow(channel: string, data: Raw, opts: PublishOptions): PublishResult {
    if (this.failing.has(channel)) throw new Error('down');
    return super.publishNow(channel, data, opts);
  }
}

let node: Node;
let broker: FailingBroker;
let d: Dispatcher;
before(async () => {
  broker = new FailingBroker();
  const config = testConfig({ channel: { without_namespace: { history_size: 10, history_ttl: 60_000 } } as never });
  node = new Node(config, { broker, presenceManager: new MemoryPresenceManager() }, silentLogger(), new Metrics({ defaultMetrics: false }));
  await node.start();
  d = new Dispatcher(node);
});
after(() => node.shutdown());

async function historyData(channel: string, dispatcher = d): Promise<string[]> {
  const r = await dispatcher.dispatch('history', { channel, limit: -1 }, 'http');
  // Publication data comes back as the raw bytes stored.
  return ((r.result?.publications ?? []) as { data: Buffer }[]).map((p) => Buffer.from(p.data).toString('utf8'));
}

describe('dispatchCommand', () => {
  it('publishes with the method given, keeping data as written', async () => {
    const out = await dispatchCommand(d, 'publish', '{"channel":"a","data":{"n": 12345678901234567890}}');
    assert.deepEqual(out, { kind: 'ok', method: 'publish' });
    assert.deepEqual(await historyData('a'), ['{"n": 12345678901234567890}']);
  });

  it('opens envelopes, with the payload as an object or a JSON string', async () => {
    assert.equal((await dispatchCommand(d, '', '{"method":"publish","payload":{"channel":"env","data":1}}')).kind, 'ok');
    assert.equal((await dispatchCommand(d, '', '{"Method":"publish","Payload":"{\\"channel\\":\\"env\\",\\"data\\":2}"}')).kind, 'ok');
    assert.deepEqual(await historyData('env'), ['1', '2']);
    assert.deepEqual(await dispatchCommand(d, '', 'nope'), { kind: 'dead', method: '', reason: 'bad_payload', error: 'malformed envelope: not valid JSON' });
    assert.deepEqual(await dispatchCommand(d, '', '[]'), { kind: 'dead', method: '', reason: 'bad_payload', error: 'malformed envelope: not a JSON object' });
  });

  it('refuses methods a consumer may not call', async () => {
    for (const m of ['history', 'presence', 'batch', 'info', 'rpc', 'nope']) {
      const out = await dispatchCommand(d, m, '{}');
      assert.equal(out.kind, 'dead');
      assert.equal(out.kind === 'dead' && out.reason, 'unsupported_method');
    }
  });

  it('classifies failures: internal errors retry, everything else is dead', async () => {
    broker.failing.add('down');
    try {
      assert.deepEqual(await dispatchCommand(d, 'publish', '{"channel":"down","data":1}'), {
        kind: 'retry',
        method: 'publish',
        error: '100: internal server error',
      });
      const b = await dispatchCommand(d, 'broadcast', '{"channels":["ok1","down"],"data":1}');
      assert.equal(b.kind, 'retry');
    } finally {
      broker.failing.clear();
    }
    assert.deepEqual(await dispatchCommand(d, 'publish', '{"channel":"x:y","data":1}'), {
      kind: 'dead',
      method: 'publish',
      reason: 'api_error',
      error: '102: unknown channel',
    });
    assert.deepEqual(await dispatchCommand(d, 'publish', '{"channel":true}'), {
      kind: 'dead',
      method: 'publish',
      reason: 'bad_payload',
      error: 'bad payload: channel must be a string',
    });
    assert.deepEqual(await dispatchCommand(d, 'publish', '{"channel":'), {
      kind: 'dead',
      method: 'publish',
      reason: 'bad_payload',
      error: 'payload is not valid JSON',
    });
    // Per-channel failures that are not internal are reported and not retried.
    const errors: unknown[] = [];
    const b = await dispatchCommand(d, 'broadcast', '{"channels":["fine","x:y"],"data":1}', { onChannelError: (c, e) => errors.push([c, e.code]) });
    assert.equal(b.kind, 'ok');
    assert.deepEqual(errors, [['x:y', 102]]);
  });

  it('adds the derived idempotency key only where none is set', async () => {
    const key = { idempotencyKey: 'outbox:c:1' };
    assert.equal((await dispatchCommand(d, 'publish', '{"channel":"k","data":"first"}', key)).kind, 'ok');
    assert.equal((await dispatchCommand(d, 'publish', '{"channel":"k","data":"again"}', key)).kind, 'ok');
    assert.deepEqual(await historyData('k'), ['"first"']);
    // The producer's own key wins (in any spelling); an empty one is replaced.
    assert.equal((await dispatchCommand(d, 'publish', '{"channel":"k2","data":1,"Idempotency_Key":"own"}', key)).kind, 'ok');
    assert.equal((await dispatchCommand(d, 'publish', '{"channel":"k2","data":2,"idempotency_key":"own"}', { idempotencyKey: 'other' })).kind, 'ok');
    assert.equal((await dispatchCommand(d, 'publish', '{"channel":"k2","data":3,"idempotency_key":""}', { idempotencyKey: 'k2-derived' })).kind, 'ok');
    assert.equal((await dispatchCommand(d, 'publish', '{"channel":"k2","data":4,"idempotency_key":""}', { idempotencyKey: 'k2-derived' })).kind, 'ok');
    assert.deepEqual(await historyData('k2'), ['1', '3']);
  });
});

describe('consumeCommand', () => {
  it('answers a plain publish at once on the memory broker, and everything else through a promise', async () => {
    const now = consumeCommand(d, 'publish', '{"channel":"now","data":1}');
    assert.deepEqual(now, { kind: 'ok', method: 'publish' });
    // Another spelling of a key takes the full decode, a broadcast the promise path.
    const later = [consumeCommand(d, 'publish', '{"Channel":"now","data":2}'), consumeCommand(d, 'broadcast', '{"channels":["now"],"data":3}')];
    for (const p of later) assert.ok(p instanceof Promise);
    assert.deepEqual(await Promise.all(later), [
      { kind: 'ok', method: 'publish' },
      { kind: 'ok', method: 'broadcast' },
    ]);
    assert.deepEqual(await historyData('now'), ['1', '2', '3']);
  });

  it('gives the same outcomes and history at once as a broker that only publishes through promises', async () => {
    const config = testConfig({ channel: { max_publication_size: 64, without_namespace: { history_size: 10, history_ttl: 60_000 } } as never });
    const nodes: Node[] = [];
    const dispatcherOn = async (hidePublishNow: boolean): Promise<Dispatcher> => {
      const b = new FailingBroker();
      b.failing.add('down');
      if (hidePublishNow) Object.defineProperty(b, 'publishNow', { value: undefined });
      const n = new Node(config, { broker: b, presenceManager: new MemoryPresenceManager() }, silentLogger(), new Metrics({ defaultMetrics: false }));
      await n.start();
      nodes.push(n);
      return new Dispatcher(n);
    };
    try {
      const atOnce = await dispatcherOn(false);
      const promised = await dispatcherOn(true);
      assert.ok(consumeCommand(promised, 'publish', '{"channel":"other","data":0}') instanceof Promise);
      const messages = [
        '{"channel":"eq","data":{"a":1}}',
        '{"channel":"eq","data":"x","idempotency_key":"k1"}',
        '{"channel":"eq","data":"y","idempotency_key":"k1"}',
        '{"channel":"eq","b64data":"aGk="}',
        '{"channel":"eq","data":2,"skip_history":true}',
        '{"channel":"eq","data":3,"tags":{"t":"v"},"version":1,"version_epoch":"e"}',
        '{"channel":"eq","data":4,"version":1,"version_epoch":"e"}',
        `{"channel":"eq","data":"${'z'.repeat(80)}"}`,
        '{"channel":"x:y","data":1}',
        '{"channel":"","data":1}',
        '{"channel":"down","data":1}',
        '{"channel":"eq","b64data":"not base64!"}',
      ];
      for (const m of messages) {
        const a = consumeCommand(atOnce, 'publish', m);
        const b: CommandOutcome = await consumeCommand(promised, 'publish', m);
        assert.deepEqual(await a, b, m);
      }
      assert.deepEqual(await historyData('eq', atOnce), await historyData('eq', promised));
      assert.equal((await historyData('eq', atOnce)).length, 4);
    } finally {
      for (const n of nodes) await n.shutdown();
    }
  });
});

describe('Backoff', () => {
  it("follows Centrifugo's numbers: 20–38 ms first, doubling, capped at 5 s, reset after success", () => {
    const b = new Backoff();
    const first = b.next();
    assert.ok(first >= 20 && first <= 38, String(first));
    const second = b.next();
    assert.ok(second >= 40 && second <= 76, String(second));
    for (let i = 0; i < 10; i++) b.next();
    assert.equal(b.next(), 5000);
    b.reset();
    assert.ok(b.next() <= 38);
  });
});

describe('renderMigration', () => {
  it('rewrites the default names in SQL only, and quotes the channel', () => {
    const sql = `-- the outbox table\nCREATE TABLE outbox (x int); CREATE INDEX outbox_partition_id_idx ON outbox (x);\nSELECT 'centrifugo_partition_change';\nCREATE TABLE outbox_dead_letter ();`;
    assert.equal(
      renderMigration(sql, { table: 's.ev', channel: "it's" }),
      `-- the outbox table\nCREATE TABLE s.ev (x int); CREATE INDEX ev_partition_id_idx ON s.ev (x);\nSELECT 'it''s';\nCREATE TABLE s.ev_dead_letter ();`,
    );
    assert.throws(() => renderMigration(sql, { table: 'a b' }), /must be a plain table name/);
  });
});
