// The contract every Broker must honour, written once and run against each
// implementation (memory, Redis standalone, Cluster and Sentinel). Tests only
// use the Broker interface, so they are written for the slowest broker:
//  - delivery may be asynchronous: tests subscribe first and wait for events;
//  - "nothing was delivered" is checked by publishing a sentinel afterwards
//    (per-channel order means anything suppressed would have arrived first);
//  - channel names are unique per run, so leftovers in a shared backend never collide;
//  - TTLs are whole seconds (Redis) and are waited out for real unless the broker
//    reads time through Date.now() and opts into `supportsTimeTravel`.
// Presence has its own contract: presence-manager-suite.ts.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it, type TestContext } from 'node:test';

import type { Broker, BrokerEventHandler, HistoryResult, PublishOptions } from '../src/engines/broker.js';
import type { ClientInfo, Publication, Raw, StreamPosition } from '../src/protocol/types.js';

export interface DeliveredPublication {
  channel: string;
  pub: Publication;
  position: StreamPosition;
  delta: boolean;
  prev: Publication | undefined;
}

/** Records everything a broker hands back, for assertions. */
export class RecordingHandler implements BrokerEventHandler {
  readonly id = randomBytes(8).toString('hex');
  readonly publications: DeliveredPublication[] = [];
  readonly joins: Array<{ channel: string; info: ClientInfo }> = [];
  readonly leaves: Array<{ channel: string; info: ClientInfo }> = [];
  readonly controls: Raw[] = [];

  onPublication(channel: string, pub: Publication, position: StreamPosition, delta: boolean, prev?: Publication): void {
    this.publications.push({ channel, pub, position, delta, prev });
  }

  onJoin(channel: string, info: ClientInfo): void {
    this.joins.push({ channel, info });
  }

  onLeave(channel: string, info: ClientInfo): void {
    this.leaves.push({ channel, info });
  }

  onControl(data: Raw): void {
    this.controls.push(data);
  }

  readonly gaps: string[][] = [];

  onDeliveryGap(channels: string[]): void {
    this.gaps.push(channels);
  }

  on(channel: string): DeliveredPublication[] {
    return this.publications.filter((p) => p.channel === channel);
  }

  /** Polls until `condition` holds; fails the test after `timeoutMs`. */
  async waitFor(condition: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
      await sleep(5);
    }
  }

  /** Waits until `channel` has received `count` publications in total. */
  async waitForPublications(channel: string, count: number): Promise<DeliveredPublication[]> {
    await this.waitFor(() => this.on(channel).length >= count, `${count} publication(s) on ${channel}`);
    return this.on(channel);
  }
}

export interface BrokerSuiteOptions {
  /**
   * The broker reads time only through Date.now(), so the suite may mock Date
   * and jump over TTLs instead of sleeping. Leave unset for brokers whose
   * clock lives elsewhere (Redis).
   */
  supportsTimeTravel?: boolean;
  /**
   * false for a PUB/SUB-only broker (NATS): no history, so history reads fail
   * with 108 "not available", publications carry offset 0 whatever the
   * options ask, and the history, expiry and idempotency parts do not apply.
   */
  history?: boolean;
}

interface Ctx {
  broker: Broker;
  events: RecordingHandler;
  /** A channel name unique to this run and test. */
  ch(name: string): string;
  /** Lets `ms` pass, for real or on the mocked clock. */
  advance(ms: number): Promise<void>;
}

const HISTORY: PublishOptions = { historySize: 10, historyTtlMs: 60_000, historyMetaTtlMs: 300_000 };
const NO_HISTORY: PublishOptions = { historySize: 0, historyTtlMs: 0, historyMetaTtlMs: 0 };
const READ = { historyMetaTtlMs: 300_000 };
const EPOCH_RE = /^[a-zA-Z]{8}$/;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function buf(s: string): Buffer {
  return Buffer.from(s);
}

function offsets(result: HistoryResult): number[] {
  return result.publications.map((p) => p.offset);
}

/** Optional raw fields may come back absent or empty depending on the broker's encoding. */
function sameRaw(actual: Raw | undefined, expected: Raw | undefined): boolean {
  return Buffer.compare(actual ?? Buffer.alloc(0), expected ?? Buffer.alloc(0)) === 0;
}

export function assertInfo(actual: ClientInfo | undefined, expected: ClientInfo): void {
  assert.ok(actual, 'ClientInfo present');
  assert.equal(actual.user, expected.user);
  assert.equal(actual.client, expected.client);
  assert.ok(sameRaw(actual.connInfo, expected.connInfo), 'connInfo bytes');
  assert.ok(sameRaw(actual.chanInfo, expected.chanInfo), 'chanInfo bytes');
}

export function runBrokerSuite(name: string, makeBroker: () => Promise<Broker>, opts: BrokerSuiteOptions = {}): void {
  const timeTravel = opts.supportsTimeTravel === true;
  const runId = `es-${randomBytes(4).toString('hex')}`;
  let testSeq = 0;

  /** Each test gets its own started broker, closed afterwards even on failure. */
  function brokerTest(title: string, fn: (ctx: Ctx) => Promise<void>): void {
    it(title, async (t: TestContext) => {
      const broker = await makeBroker();
      const events = new RecordingHandler();
      await broker.start(events);
      const prefix = `${runId}:${++testSeq}`;
      let mocked = false;
      const ctx: Ctx = {
        broker,
        events,
        ch: (n) => `${prefix}:${n}`,
        advance: async (ms) => {
          if (!timeTravel) return sleep(ms);
          if (!mocked) {
            // Freeze Date at the real now; node:test restores it after the test.
            t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
            mocked = true;
          }
          t.mock.timers.tick(ms);
        },
      };
      try {
        await fn(ctx);
      } finally {
        await broker.close();
      }
    });
  }

  /** Publishes `count` messages m1..mN one after another and returns their results. */
  async function publishAll(ctx: Ctx, channel: string, count: number, o: PublishOptions = HISTORY) {
    const results = [];
    for (let i = 1; i <= count; i++) results.push(await ctx.broker.publish(channel, buf(`m${i}`), o));
    return results;
  }

  describe(`Broker contract: ${name}`, () => {
    brokerTest('has a name and reports healthy', async ({ broker }) => {
      assert.equal(typeof broker.name, 'string');
      assert.ok(broker.name.length > 0);
      assert.equal(broker.health().healthy, true);
    });

    if (opts.history === false) pubSubOnly();
    else withHistory();

    describe('join and leave', () => {
      const alice1: ClientInfo = { user: 'alice', client: 'c-a1', connInfo: buf('{"n":1}') };
      const alice2: ClientInfo = { user: 'alice', client: 'c-a2', chanInfo: buf('"ch"') };

      brokerTest('join and leave are delivered with their ClientInfo', async (ctx) => {
        const { broker, events } = ctx;
        const ch = ctx.ch('joinleave');
        await broker.subscribe([ch]);
        await broker.publishJoin(ch, alice1);
        await broker.publishLeave(ch, alice2);
        await events.waitFor(() => events.joins.length >= 1 && events.leaves.length >= 1, 'join and leave');
        assert.equal(events.joins[0]!.channel, ch);
        assertInfo(events.joins[0]!.info, alice1);
        assert.equal(events.leaves[0]!.channel, ch);
        assertInfo(events.leaves[0]!.info, alice2);
        assert.equal(events.publications.length, 0, 'join/leave are not publications');
        await broker.unsubscribe([ch]);
      });
    });

    brokerTest('publishControl accepts broadcast and targeted messages', async ({ broker }) => {
      await broker.publishControl(buf('ctl'));
      await broker.publishControl(buf('ctl'), 'some-node');
    });
  });

  function withHistory(): void {
    describe('publish', () => {
      brokerTest('without history: offset 0, empty epoch, delivered, nothing stored', async (ctx) => {
        const { broker, events } = ctx;
        const ch = ctx.ch('nohist');
        await broker.subscribe([ch]);
        const res = await broker.publish(ch, buf('{"x":1}'), NO_HISTORY);
        assert.deepEqual(res, { position: { offset: 0, epoch: '' }, suppressed: false });
        const [got] = await events.waitForPublications(ch, 1);
        assert.equal(got!.pub.offset, 0);
        assert.deepEqual(got!.position, { offset: 0, epoch: '' });
        assert.equal(got!.pub.data.toString(), '{"x":1}');
        const hist = await broker.history(ch, { limit: -1 }, READ);
        assert.equal(hist.publications.length, 0);
        assert.equal(hist.position.offset, 0);
      });

      brokerTest('history on but size or ttl 0 behaves as no history', async (ctx) => {
        const ch = ctx.ch('half');
        const a = await ctx.broker.publish(ch, buf('a'), { ...HISTORY, historySize: 0 });
        const b = await ctx.broker.publish(ch, buf('b'), { ...HISTORY, historyTtlMs: 0 });
        assert.deepEqual(a.position, { offset: 0, epoch: '' });
        assert.deepEqual(b.position, { offset: 0, epoch: '' });
      });

      brokerTest('with history: offsets 1..N under one stable 8-letter epoch', async (ctx) => {
        const ch = ctx.ch('offsets');
        const results = await publishAll(ctx, ch, 5);
        assert.deepEqual(
          results.map((r) => r.position.offset),
          [1, 2, 3, 4, 5],
        );
        const epoch = results[0]!.position.epoch;
        assert.match(epoch, EPOCH_RE);
        assert.ok(results.every((r) => r.position.epoch === epoch && !r.suppressed));
        const hist = await ctx.broker.history(ch, { limit: -1 }, READ);
        assert.deepEqual(hist.position, { offset: 5, epoch });
        assert.deepEqual(offsets(hist), [1, 2, 3, 4, 5]);
        assert.deepEqual(
          hist.publications.map((p) => p.data.toString()),
          ['m1', 'm2', 'm3', 'm4', 'm5'],
        );
      });

      brokerTest('different channels have independent streams', async (ctx) => {
        const a = await ctx.broker.publish(ctx.ch('a'), buf('1'), HISTORY);
        const b = await ctx.broker.publish(ctx.ch('b'), buf('1'), HISTORY);
        assert.equal(a.position.offset, 1);
        assert.equal(b.position.offset, 1);
        assert.notEqual(a.position.epoch, b.position.epoch);
      });

      brokerTest('delivers publications with position, time, delta flag and prev', async (ctx) => {
        const { broker, events } = ctx;
        const ch = ctx.ch('deliver');
        await broker.subscribe([ch]);
        const before = Date.now();
        const r1 = await broker.publish(ch, buf('first'), { ...HISTORY, delta: true });
        const r2 = await broker.publish(ch, buf('second'), { ...HISTORY, delta: true });
        const got = await events.waitForPublications(ch, 2);
        assert.deepEqual(got[0]!.position, r1.position);
        assert.deepEqual(got[1]!.position, r2.position);
        assert.equal(got[0]!.pub.offset, 1);
        assert.equal(got[1]!.pub.offset, 2);
        assert.equal(got[0]!.delta, true);
        assert.equal(got[0]!.prev, undefined, 'first publication of a stream has no prev');
        assert.ok(got[1]!.prev, 'prev present for a delta publish');
        assert.equal(got[1]!.prev!.data.toString(), 'first');
        for (const g of got) {
          assert.equal(typeof g.pub.time, 'number');
          assert.ok(g.pub.time! >= before - 5_000 && g.pub.time! <= Date.now() + 5_000, 'time is unix ms');
        }
        await broker.publish(ch, buf('third'), HISTORY);
        const [, , third] = await events.waitForPublications(ch, 3);
        assert.equal(third!.delta, false);
      });

      brokerTest('raw bytes survive byte-for-byte (delivery and history)', async (ctx) => {
        const { broker, events } = ctx;
        const ch = ctx.ch('raw');
        await broker.subscribe([ch]);
        const payloads = [buf('{"a": 1.0 }'), Buffer.from([0, 255, 10, 13, 0x80, 0x22]), buf('  "ü\\u00fc" ')];
        for (const p of payloads) await broker.publish(ch, p, HISTORY);
        const got = await events.waitForPublications(ch, payloads.length);
        const hist = await broker.history(ch, { limit: -1 }, READ);
        payloads.forEach((p, i) => {
          assert.ok(got[i]!.pub.data.equals(p), `delivered payload ${i}`);
          assert.ok(hist.publications[i]!.data.equals(p), `history payload ${i}`);
        });
      });

      brokerTest('tags and info round-trip through delivery and history', async (ctx) => {
        const { broker, events } = ctx;
        const ch = ctx.ch('meta');
        await broker.subscribe([ch]);
        const info: ClientInfo = {
          user: 'u1',
          client: 'c1',
          connInfo: buf('{"name":"Ann"}'),
          chanInfo: buf('[1, 2]'),
        };
        const tags = { kind: 'chat', 'x-y': '' };
        await broker.publish(ch, buf('1'), { ...HISTORY, info, tags });
        const [got] = await events.waitForPublications(ch, 1);
        const [stored] = (await broker.history(ch, { limit: -1 }, READ)).publications;
        for (const p of [got!.pub, stored!]) {
          assertInfo(p.info, info);
          assert.deepEqual({ ...p.tags }, tags);
        }
      });

      brokerTest('publication order per channel holds for 1000 concurrent publishes', async (ctx) => {
        const { broker, events } = ctx;
        const ch = ctx.ch('order');
        const plain = ctx.ch('order-plain');
        await broker.subscribe([ch, plain]);
        const n = 1000;
        const o = { ...HISTORY, historySize: n };
        const [results] = await Promise.all([
          Promise.all(Array.from({ length: n }, (_, i) => broker.publish(ch, buf(String(i)), o))),
          Promise.all(Array.from({ length: n }, (_, i) => broker.publish(plain, buf(String(i)), NO_HISTORY))),
        ]);
        assert.deepEqual(
          results.map((r) => r.position.offset),
          Array.from({ length: n }, (_, i) => i + 1),
        );
        const got = await events.waitForPublications(ch, n);
        assert.deepEqual(
          got.map((g) => g.pub.offset),
          Array.from({ length: n }, (_, i) => i + 1),
        );
        assert.deepEqual(
          got.map((g) => g.pub.data.toString()),
          Array.from({ length: n }, (_, i) => String(i)),
        );
        const gotPlain = await events.waitForPublications(plain, n);
        assert.deepEqual(
          gotPlain.map((g) => g.pub.data.toString()),
          Array.from({ length: n }, (_, i) => String(i)),
        );
        const hist = await broker.history(ch, { limit: -1 }, READ);
        assert.equal(hist.publications.length, n);
        assert.equal(hist.position.offset, n);
      });
    });

    describe('history reads', () => {
      brokerTest('keeps only the last historySize publications', async (ctx) => {
        const ch = ctx.ch('trim');
        await publishAll(ctx, ch, 5, { ...HISTORY, historySize: 3 });
        const hist = await ctx.broker.history(ch, { limit: -1 }, READ);
        assert.deepEqual(offsets(hist), [3, 4, 5]);
        assert.equal(hist.position.offset, 5);
        assert.deepEqual(
          hist.publications.map((p) => p.data.toString()),
          ['m3', 'm4', 'm5'],
        );
      });

      brokerTest('limit 0 gives only the position, -1 everything, N at most N', async (ctx) => {
        const ch = ctx.ch('limit');
        const [first] = await publishAll(ctx, ch, 5);
        const none = await ctx.broker.history(ch, { limit: 0 }, READ);
        assert.deepEqual(none, { publications: [], position: { offset: 5, epoch: first!.position.epoch } });
        assert.deepEqual(offsets(await ctx.broker.history(ch, { limit: -1 }, READ)), [1, 2, 3, 4, 5]);
        assert.deepEqual(offsets(await ctx.broker.history(ch, { limit: 2 }, READ)), [1, 2]);
        assert.deepEqual(offsets(await ctx.broker.history(ch, { limit: 50 }, READ)), [1, 2, 3, 4, 5]);
        assert.deepEqual(offsets(await ctx.broker.history(ch, { limit: 0, since: { offset: 1, epoch: '' } }, READ)), []);
      });

      brokerTest('reverse without since returns newest first', async (ctx) => {
        const ch = ctx.ch('reverse');
        await publishAll(ctx, ch, 5);
        assert.deepEqual(offsets(await ctx.broker.history(ch, { limit: -1, reverse: true }, READ)), [5, 4, 3, 2, 1]);
        assert.deepEqual(offsets(await ctx.broker.history(ch, { limit: 2, reverse: true }, READ)), [5, 4]);
      });

      brokerTest('since is exclusive: forward returns later offsets, reverse earlier ones', async (ctx) => {
        const ch = ctx.ch('since');
        const [first] = await publishAll(ctx, ch, 5);
        const since = { offset: 2, epoch: first!.position.epoch };
        assert.deepEqual(offsets(await ctx.broker.history(ch, { limit: -1, since }, READ)), [3, 4, 5]);
        assert.deepEqual(offsets(await ctx.broker.history(ch, { limit: 2, since }, READ)), [3, 4]);
        assert.deepEqual(offsets(await ctx.broker.history(ch, { limit: -1, since: { ...since, offset: 0 } }, READ)), [1, 2, 3, 4, 5]);
        assert.deepEqual(offsets(await ctx.broker.history(ch, { limit: -1, since: { ...since, offset: 5 } }, READ)), []);
        const rev = { ...since, offset: 4 };
        assert.deepEqual(offsets(await ctx.broker.history(ch, { limit: -1, since: rev, reverse: true }, READ)), [3, 2, 1]);
        assert.deepEqual(offsets(await ctx.broker.history(ch, { limit: 2, since: rev, reverse: true }, READ)), [3, 2]);
      });

      brokerTest('since inside the trimmed range starts at the oldest kept offset', async (ctx) => {
        const ch = ctx.ch('since-trim');
        const [first] = await publishAll(ctx, ch, 6, { ...HISTORY, historySize: 3 });
        const since = { offset: 1, epoch: first!.position.epoch };
        assert.deepEqual(offsets(await ctx.broker.history(ch, { limit: -1, since }, READ)), [4, 5, 6]);
        assert.deepEqual(offsets(await ctx.broker.history(ch, { limit: 2, since }, READ)), [4, 5]);
      });

      brokerTest('since with a stale epoch still returns the current position (caller checks)', async (ctx) => {
        const ch = ctx.ch('since-epoch');
        const [first] = await publishAll(ctx, ch, 2);
        const hist = await ctx.broker.history(ch, { limit: 0, since: { offset: 1, epoch: 'zzzzzzzz' } }, READ);
        assert.deepEqual(hist.position, { offset: 2, epoch: first!.position.epoch });
      });

      brokerTest('reading a missing channel creates an epoch that a later publish keeps', async (ctx) => {
        const ch = ctx.ch('fresh');
        const h1 = await ctx.broker.history(ch, { limit: -1 }, READ);
        assert.equal(h1.publications.length, 0);
        assert.equal(h1.position.offset, 0);
        assert.match(h1.position.epoch, EPOCH_RE);
        const h2 = await ctx.broker.history(ch, { limit: 0 }, READ);
        assert.deepEqual(h2.position, h1.position);
        const res = await ctx.broker.publish(ch, buf('x'), HISTORY);
        assert.deepEqual(res.position, { offset: 1, epoch: h1.position.epoch });
      });

      brokerTest('removeHistory drops publications but keeps top and epoch', async (ctx) => {
        const ch = ctx.ch('remove');
        const [first] = await publishAll(ctx, ch, 3);
        const epoch = first!.position.epoch;
        await ctx.broker.removeHistory(ch);
        const hist = await ctx.broker.history(ch, { limit: -1 }, READ);
        assert.deepEqual(hist, { publications: [], position: { offset: 3, epoch } });
        const next = await ctx.broker.publish(ch, buf('m4'), HISTORY);
        assert.deepEqual(next.position, { offset: 4, epoch });
        assert.deepEqual(offsets(await ctx.broker.history(ch, { limit: -1 }, READ)), [4]);
        await ctx.broker.removeHistory(ctx.ch('never-existed')); // must not throw
      });
    });

    // Real waits run concurrently to keep the suite short; a mocked clock is
    // process-global, so with time travel these run one by one (instantly).
    describe('expiry', { concurrency: !timeTravel }, () => {
      brokerTest('history TTL drops items but keeps top and epoch', async (ctx) => {
        const ch = ctx.ch('ttl');
        const o = { ...HISTORY, historyTtlMs: 1000, historyMetaTtlMs: 60_000 };
        const [first] = await publishAll(ctx, ch, 2, o);
        const epoch = first!.position.epoch;
        await ctx.advance(1300);
        const hist = await ctx.broker.history(ch, { limit: -1 }, READ);
        assert.deepEqual(hist, { publications: [], position: { offset: 2, epoch } });
        const next = await ctx.broker.publish(ch, buf('m3'), o);
        assert.deepEqual(next.position, { offset: 3, epoch });
      });

      brokerTest('history TTL counts from the last publish', async (ctx) => {
        const ch = ctx.ch('ttl-extend');
        const o = { ...HISTORY, historyTtlMs: 1000 };
        await ctx.broker.publish(ch, buf('m1'), o);
        await ctx.advance(600);
        await ctx.broker.publish(ch, buf('m2'), o);
        await ctx.advance(600);
        // 1.2 s after the first publish, 0.6 s after the last: both still there.
        assert.deepEqual(offsets(await ctx.broker.history(ch, { limit: -1 }, READ)), [1, 2]);
      });

      brokerTest('meta TTL expiry starts a new epoch at offset 1', async (ctx) => {
        const ch = ctx.ch('meta-ttl');
        const o = { ...HISTORY, historyTtlMs: 1000, historyMetaTtlMs: 1000 };
        const [first] = await publishAll(ctx, ch, 3, o);
        await ctx.advance(1300);
        const next = await ctx.broker.publish(ch, buf('again'), o);
        assert.equal(next.position.offset, 1);
        assert.match(next.position.epoch, EPOCH_RE);
        assert.notEqual(next.position.epoch, first!.position.epoch);
        assert.deepEqual(offsets(await ctx.broker.history(ch, { limit: -1 }, READ)), [1]);
      });

      brokerTest('a history read refreshes the meta TTL', async (ctx) => {
        const ch = ctx.ch('meta-read');
        const o = { ...HISTORY, historyTtlMs: 1000, historyMetaTtlMs: 1000 };
        const [first] = await publishAll(ctx, ch, 1, o);
        await ctx.advance(600);
        await ctx.broker.history(ch, { limit: 0 }, { historyMetaTtlMs: 1000 });
        await ctx.advance(600);
        // 1.2 s after the publish but 0.6 s after the read: the stream survives.
        const hist = await ctx.broker.history(ch, { limit: 0 }, { historyMetaTtlMs: 1000 });
        assert.deepEqual(hist.position, first!.position);
      });

      brokerTest('an idempotency key expires after idempotentResultTtlMs', async (ctx) => {
        const ch = ctx.ch('idem-ttl');
        const o = { ...HISTORY, idempotencyKey: 'k', idempotentResultTtlMs: 1000 };
        const a = await ctx.broker.publish(ch, buf('1'), o);
        await ctx.advance(1300);
        const b = await ctx.broker.publish(ch, buf('2'), o);
        assert.equal(b.suppressed, false);
        assert.equal(b.position.offset, a.position.offset + 1);
      });
    });

    describe('idempotency and versions', () => {
      brokerTest('a repeated idempotency key is suppressed and returns the first position', async (ctx) => {
        const { broker, events } = ctx;
        const ch = ctx.ch('idem');
        await broker.subscribe([ch]);
        const o = { ...HISTORY, idempotencyKey: 'key-1' };
        const first = await broker.publish(ch, buf('one'), o);
        await broker.publish(ch, buf('other'), HISTORY);
        const again = await broker.publish(ch, buf('one'), o);
        assert.deepEqual(first, { position: { offset: 1, epoch: first.position.epoch }, suppressed: false });
        assert.deepEqual(again, { position: first.position, suppressed: true });
        await broker.publish(ch, buf('sentinel'), HISTORY);
        const got = await events.waitForPublications(ch, 3);
        assert.deepEqual(
          got.map((g) => g.pub.data.toString()),
          ['one', 'other', 'sentinel'],
        );
        assert.deepEqual(offsets(await broker.history(ch, { limit: -1 }, READ)), [1, 2, 3]);
      });

      brokerTest('the same key on another channel is not suppressed', async (ctx) => {
        const o = { ...HISTORY, idempotencyKey: 'shared' };
        const a = await ctx.broker.publish(ctx.ch('one'), buf('x'), o);
        const b = await ctx.broker.publish(ctx.ch('two'), buf('x'), o);
        assert.equal(a.suppressed, false);
        assert.equal(b.suppressed, false);
        assert.equal(b.position.offset, 1);
      });

      brokerTest('idempotency also applies without history', async (ctx) => {
        const { broker, events } = ctx;
        const ch = ctx.ch('idem-nohist');
        await broker.subscribe([ch]);
        const o = { ...NO_HISTORY, idempotencyKey: 'k' };
        assert.equal((await broker.publish(ch, buf('a'), o)).suppressed, false);
        const again = await broker.publish(ch, buf('a'), o);
        assert.equal(again.suppressed, true);
        assert.equal(again.position.offset, 0);
        await broker.publish(ch, buf('sentinel'), NO_HISTORY);
        const got = await events.waitForPublications(ch, 2);
        assert.deepEqual(
          got.map((g) => g.pub.data.toString()),
          ['a', 'sentinel'],
        );
      });

      brokerTest('a version not above the stored one is suppressed with the current top', async (ctx) => {
        const { broker, events } = ctx;
        const ch = ctx.ch('version');
        await broker.subscribe([ch]);
        const pub = (data: string, version: number, versionEpoch = '') => broker.publish(ch, buf(data), { ...HISTORY, version, versionEpoch });
        const v5 = await pub('v5', 5);
        assert.equal(v5.suppressed, false);
        const top = { offset: 1, epoch: v5.position.epoch };
        assert.deepEqual(await pub('v3', 3), { position: top, suppressed: true });
        assert.deepEqual(await pub('v5-again', 5), { position: top, suppressed: true });
        assert.equal((await pub('v6', 6)).suppressed, false);
        // A different version epoch starts over: lower versions pass.
        assert.equal((await pub('e2', 2, 'other')).suppressed, false);
        assert.equal((await pub('e2-again', 2, 'other')).suppressed, true);
        // An empty version epoch matches whatever is stored.
        assert.deepEqual(await pub('v1', 1), { position: { offset: 3, epoch: v5.position.epoch }, suppressed: true });
        assert.equal((await pub('e3', 3, 'other')).suppressed, false);
        await broker.publish(ch, buf('sentinel'), HISTORY);
        const got = await events.waitForPublications(ch, 5);
        assert.deepEqual(
          got.map((g) => g.pub.data.toString()),
          ['v5', 'v6', 'e2', 'e3', 'sentinel'],
        );
      });

      brokerTest('versions are ignored without history', async (ctx) => {
        const ch = ctx.ch('version-nohist');
        const o = { ...NO_HISTORY, version: 5 };
        assert.equal((await ctx.broker.publish(ch, buf('a'), o)).suppressed, false);
        assert.equal((await ctx.broker.publish(ch, buf('b'), o)).suppressed, false);
      });
    });
  }

  function pubSubOnly(): void {
    const notAvailable = (err: any) => err?.error?.code === 108 && err?.error?.message === 'not available';

    describe('publish (PUB/SUB only)', () => {
      brokerTest('offset 0 and empty epoch whatever the options ask; history reads are not available', async (ctx) => {
        const { broker, events } = ctx;
        const ch = ctx.ch('nohist');
        await broker.subscribe([ch]);
        for (const o of [NO_HISTORY, HISTORY, { ...HISTORY, idempotencyKey: 'k' }, { ...HISTORY, idempotencyKey: 'k' }]) {
          assert.deepEqual(await broker.publish(ch, buf('{"x":1}'), o), { position: { offset: 0, epoch: '' }, suppressed: false });
        }
        const got = await events.waitForPublications(ch, 4);
        for (const g of got) {
          assert.equal(g.pub.offset, 0);
          assert.deepEqual(g.position, { offset: 0, epoch: '' });
          assert.equal(g.pub.data.toString(), '{"x":1}');
        }
        await assert.rejects(broker.history(ch, { limit: -1 }, READ), notAvailable);
        await assert.rejects(broker.history(ch, { limit: 0 }, READ), notAvailable);
        await assert.rejects(broker.removeHistory(ch), notAvailable);
      });

      brokerTest('delivers publications with time and the delta flag, no prev', async (ctx) => {
        const { broker, events } = ctx;
        const ch = ctx.ch('deliver');
        await broker.subscribe([ch]);
        const before = Date.now();
        await broker.publish(ch, buf('first'), { ...NO_HISTORY, delta: true });
        await broker.publish(ch, buf('second'), NO_HISTORY);
        const got = await events.waitForPublications(ch, 2);
        assert.equal(got[0]!.delta, true);
        assert.equal(got[1]!.delta, false);
        for (const g of got) {
          assert.equal(g.prev, undefined);
          assert.ok(g.pub.time! >= before - 5_000 && g.pub.time! <= Date.now() + 5_000, 'time is unix ms');
        }
      });

      brokerTest('raw bytes, tags and info survive delivery', async (ctx) => {
        const { broker, events } = ctx;
        const ch = ctx.ch('raw');
        await broker.subscribe([ch]);
        const info: ClientInfo = { user: 'u1', client: 'c1', connInfo: buf('{"name":"Ann"}'), chanInfo: buf('[1, 2]') };
        const tags = { kind: 'chat', 'x-y': '' };
        const payloads = [buf('{"a": 1.0 }'), Buffer.from([0, 255, 10, 13, 0x80, 0x22]), buf('  "ü\\u00fc" ')];
        for (const p of payloads) await broker.publish(ch, p, { ...NO_HISTORY, info, tags });
        const got = await events.waitForPublications(ch, payloads.length);
        payloads.forEach((p, i) => {
          assert.ok(got[i]!.pub.data.equals(p), `delivered payload ${i}`);
          assertInfo(got[i]!.pub.info, info);
          assert.deepEqual({ ...got[i]!.pub.tags }, tags);
        });
      });

      brokerTest('publication order per channel holds for 1000 concurrent publishes', async (ctx) => {
        const { broker, events } = ctx;
        const ch = ctx.ch('order');
        await broker.subscribe([ch]);
        const n = 1000;
        await Promise.all(Array.from({ length: n }, (_, i) => broker.publish(ch, buf(String(i)), NO_HISTORY)));
        const got = await events.waitForPublications(ch, n);
        assert.deepEqual(
          got.map((g) => g.pub.data.toString()),
          Array.from({ length: n }, (_, i) => String(i)),
        );
      });

      brokerTest('unsubscribe stops delivery; subscribing twice delivers once', async (ctx) => {
        const { broker, events } = ctx;
        const ch = ctx.ch('unsub');
        const sentinel = ctx.ch('sentinel');
        await broker.subscribe([ch]);
        await broker.subscribe([ch, sentinel]);
        await broker.publish(ch, buf('1'), NO_HISTORY);
        await events.waitForPublications(ch, 1);
        await broker.unsubscribe([ch]);
        await broker.publish(ch, buf('2'), NO_HISTORY);
        await broker.publish(sentinel, buf('s'), NO_HISTORY);
        await events.waitForPublications(sentinel, 1);
        // The sentinel went out after "2" on the same link, so "2" would have arrived by now.
        await sleep(50);
        assert.deepEqual(
          events.on(ch).map((g) => g.pub.data.toString()),
          ['1'],
        );
      });
    });
  }
}
