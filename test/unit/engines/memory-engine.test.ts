import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { PublishOptions } from '../../../src/engines/broker.js';
import { MemoryEngine } from '../../../src/engines/memory/memory-engine.js';
import { RecordingHandler, runEngineSuite } from '../../engine-suite.js';

// The memory engine reads time only via Date.now(), so the shared suite can
// jump over TTLs. It also runs once on the real clock, so the real-wait path
// the Redis engine will use is known to work.
runEngineSuite('memory', async () => new MemoryEngine(), { supportsTimeTravel: true });
runEngineSuite('memory (real clock)', async () => new MemoryEngine());

const HISTORY: PublishOptions = { historySize: 10, historyTtlMs: 60_000, historyMetaTtlMs: 300_000 };
const READ = { historyMetaTtlMs: 300_000 };

async function started(): Promise<{ engine: MemoryEngine; events: RecordingHandler }> {
  const engine = new MemoryEngine();
  const events = new RecordingHandler();
  await engine.start(events);
  return { engine, events };
}

function emptyStats() {
  return {
    historyStreams: 0,
    scheduledStreams: 0,
    idempotencyKeys: 0,
    presenceChannels: 0,
    presenceClients: 0,
  };
}

function statsWithoutTimer(engine: MemoryEngine) {
  const { sweepTimer: _timer, ...rest } = engine.stats();
  return rest;
}

describe('MemoryEngine specifics', () => {
  it('runs an unref()ed sweep timer while started, none after close', async () => {
    const engine = new MemoryEngine();
    assert.equal(engine.stats().sweepTimer, 'stopped');
    await engine.start(new RecordingHandler());
    assert.equal(engine.stats().sweepTimer, 'unref');
    await engine.start(new RecordingHandler()); // a second start must not add a timer
    await engine.close();
    assert.equal(engine.stats().sweepTimer, 'stopped');
  });

  it('delivers synchronously, without subscribe()', async () => {
    const { engine, events } = await started();
    const pending = engine.publish('sync', Buffer.from('x'), HISTORY);
    assert.equal(events.publications.length, 1, 'delivered before publish() resolves');
    await pending;
    await engine.close();
  });

  it('removing the last presence entry leaves no channel map behind', async () => {
    const { engine } = await started();
    await engine.addPresence('p', 'c1', { user: 'u', client: 'c1' });
    await engine.addPresence('p', 'c2', { user: '', client: 'c2' });
    assert.equal(engine.stats().presenceChannels, 1);
    assert.equal(engine.stats().presenceClients, 2);
    await engine.removePresence('p', 'c1', 'u');
    await engine.removePresence('p', 'c2', '');
    assert.deepEqual(statsWithoutTimer(engine), emptyStats());
    await engine.close();
  });

  it('presence() returns a copy', async () => {
    const { engine } = await started();
    await engine.addPresence('p', 'c1', { user: 'u', client: 'c1' });
    (await engine.presence('p')).clear();
    assert.equal((await engine.presence('p')).size, 1);
    await engine.close();
  });

  it('the sweep reclaims expired streams and idempotency results without any access', async () => {
    const { engine } = await started();
    const o = { ...HISTORY, historyTtlMs: 1000, historyMetaTtlMs: 5000, idempotencyKey: 'k' };
    for (let i = 0; i < 50; i++) await engine.publish(`ch${i}`, Buffer.from('x'), o);
    await engine.history('read-only', { limit: 0 }, { historyMetaTtlMs: 5000 });
    assert.equal(engine.stats().historyStreams, 51);
    assert.equal(engine.stats().scheduledStreams, 51);
    assert.equal(engine.stats().idempotencyKeys, 50);

    // Past the item TTL only: streams (epoch + top) stay, still scheduled for meta expiry.
    engine.sweep(Date.now() + 2000);
    assert.equal(engine.stats().historyStreams, 51);
    assert.equal(engine.stats().scheduledStreams, 51);
    const kept = await engine.history('ch0', { limit: -1 }, READ);
    assert.equal(kept.publications.length, 0);
    assert.equal(kept.position.offset, 1);

    // Past the meta and idempotency TTLs ('ch0' was just re-read with a long meta TTL).
    engine.sweep(Date.now() + 301_000);
    assert.deepEqual(statsWithoutTimer(engine), emptyStats());
    await engine.close();
  });

  it('the 1 s timer sweeps on its own', async () => {
    const { engine } = await started();
    await engine.publish('short', Buffer.from('x'), { ...HISTORY, historyTtlMs: 100, historyMetaTtlMs: 100 });
    assert.equal(engine.stats().historyStreams, 1);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    assert.deepEqual(statsWithoutTimer(engine), emptyStats());
    await engine.close();
  });

  it('lazy expiry on access also unschedules the dropped stream', async () => {
    const { engine } = await started();
    const first = await engine.publish('lazy', Buffer.from('a'), { ...HISTORY, historyTtlMs: 20, historyMetaTtlMs: 20 });
    await new Promise((resolve) => setTimeout(resolve, 40));
    const second = await engine.publish('lazy', Buffer.from('b'), HISTORY);
    assert.equal(second.position.offset, 1);
    assert.notEqual(second.position.epoch, first.position.epoch);
    assert.equal(engine.stats().historyStreams, 1);
    assert.equal(engine.stats().scheduledStreams, 1, 'the replaced stream left the queue');
    await engine.close();
  });

  it('looks up prev only for delta publishes (like Centrifugo)', async () => {
    const { engine, events } = await started();
    await engine.publish('d', Buffer.from('a'), HISTORY);
    await engine.publish('d', Buffer.from('b'), HISTORY);
    await engine.publish('d', Buffer.from('c'), { ...HISTORY, delta: true });
    assert.deepEqual(
      events.publications.map((p) => p.prev?.data.toString()),
      [undefined, undefined, 'b'],
    );
    await engine.close();
  });

  it('a version-less publish resets the stored version (memory semantics, spec §10.5)', async () => {
    const { engine } = await started();
    assert.equal((await engine.publish('v', Buffer.from('a'), { ...HISTORY, version: 5 })).suppressed, false);
    assert.equal((await engine.publish('v', Buffer.from('b'), HISTORY)).suppressed, false);
    assert.equal((await engine.publish('v', Buffer.from('c'), { ...HISTORY, version: 3 })).suppressed, false);
    await engine.close();
  });

  it('a smaller historySize on a later publish trims the stream at once', async () => {
    const { engine } = await started();
    for (let i = 0; i < 8; i++) await engine.publish('shrink', Buffer.from(String(i)), HISTORY);
    await engine.publish('shrink', Buffer.from('8'), { ...HISTORY, historySize: 2 });
    const hist = await engine.history('shrink', { limit: -1 }, READ);
    assert.deepEqual(
      hist.publications.map((p) => p.offset),
      [8, 9],
    );
    for (let i = 0; i < 20; i++) await engine.publish('shrink', Buffer.from('g'), { ...HISTORY, historySize: 15 });
    const grown = await engine.history('shrink', { limit: -1 }, READ);
    assert.deepEqual(
      grown.publications.map((p) => p.offset),
      Array.from({ length: 15 }, (_, i) => 15 + i),
    );
    await engine.close();
  });

  it('close() clears all state', async () => {
    const { engine } = await started();
    await engine.publish('a', Buffer.from('x'), { ...HISTORY, idempotencyKey: 'k' });
    await engine.addPresence('a', 'c', { user: 'u', client: 'c' });
    await engine.close();
    assert.deepEqual(engine.stats(), { ...emptyStats(), sweepTimer: 'stopped' });
  });
});
