import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { PublishOptions } from '../../../src/engines/broker.js';
import { MemoryBroker } from '../../../src/engines/memory/memory-broker.js';
import { MemoryPresenceManager } from '../../../src/engines/memory/memory-presence-manager.js';
import { RecordingHandler, runBrokerSuite } from '../../broker-suite.js';
import { runPresenceManagerSuite } from '../../presence-manager-suite.js';

// The memory broker reads time only via Date.now(), so the shared suite can
// jump over TTLs. It also runs once on the real clock, so the real-wait path
// the Redis broker uses is known to work.
runBrokerSuite('memory', async () => new MemoryBroker(), { supportsTimeTravel: true });
runBrokerSuite('memory (real clock)', async () => new MemoryBroker());
runPresenceManagerSuite('memory', async () => new MemoryPresenceManager());

const HISTORY: PublishOptions = { historySize: 10, historyTtlMs: 60_000, historyMetaTtlMs: 300_000 };
const READ = { historyMetaTtlMs: 300_000 };

async function started(): Promise<{ broker: MemoryBroker; events: RecordingHandler }> {
  const broker = new MemoryBroker();
  const events = new RecordingHandler();
  await broker.start(events);
  return { broker, events };
}

function emptyStats() {
  return {
    historyStreams: 0,
    scheduledStreams: 0,
    idempotencyKeys: 0,
  };
}

function statsWithoutTimer(broker: MemoryBroker) {
  const { sweepTimer: _timer, ...rest } = broker.stats();
  return rest;
}

async function startedPresence(): Promise<MemoryPresenceManager> {
  const presence = new MemoryPresenceManager();
  await presence.start();
  return presence;
}

describe('MemoryPresenceManager specifics', () => {
  it('removing the last presence entry leaves no channel map behind', async () => {
    const presence = await startedPresence();
    await presence.addPresence('p', 'c1', { user: 'u', client: 'c1' });
    await presence.addPresence('p', 'c2', { user: '', client: 'c2' });
    assert.equal(presence.stats().presenceChannels, 1);
    assert.equal(presence.stats().presenceClients, 2);
    await presence.removePresence('p', 'c1', 'u');
    await presence.removePresence('p', 'c2', '');
    assert.deepEqual(presence.stats(), { presenceChannels: 0, presenceClients: 0 });
    await presence.close();
  });

  it('presence() returns a copy', async () => {
    const presence = await startedPresence();
    await presence.addPresence('p', 'c1', { user: 'u', client: 'c1' });
    (await presence.presence('p')).clear();
    assert.equal((await presence.presence('p')).size, 1);
    await presence.close();
  });

  it('close() clears all state', async () => {
    const presence = await startedPresence();
    await presence.addPresence('a', 'c', { user: 'u', client: 'c' });
    await presence.close();
    assert.deepEqual(presence.stats(), { presenceChannels: 0, presenceClients: 0 });
  });
});

describe('MemoryBroker specifics', () => {
  it('runs an unref()ed sweep timer while started, none after close', async () => {
    const broker = new MemoryBroker();
    assert.equal(broker.stats().sweepTimer, 'stopped');
    await broker.start(new RecordingHandler());
    assert.equal(broker.stats().sweepTimer, 'unref');
    await broker.start(new RecordingHandler()); // a second start must not add a timer
    await broker.close();
    assert.equal(broker.stats().sweepTimer, 'stopped');
  });

  it('delivers synchronously, without subscribe()', async () => {
    const { broker, events } = await started();
    const pending = broker.publish('sync', Buffer.from('x'), HISTORY);
    assert.equal(events.publications.length, 1, 'delivered before publish() resolves');
    await pending;
    await broker.close();
  });

  it('the sweep reclaims expired streams and idempotency results without any access', async () => {
    const { broker } = await started();
    const o = { ...HISTORY, historyTtlMs: 1000, historyMetaTtlMs: 5000, idempotencyKey: 'k' };
    for (let i = 0; i < 50; i++) await broker.publish(`ch${i}`, Buffer.from('x'), o);
    await broker.history('read-only', { limit: 0 }, { historyMetaTtlMs: 5000 });
    assert.equal(broker.stats().historyStreams, 51);
    assert.equal(broker.stats().scheduledStreams, 51);
    assert.equal(broker.stats().idempotencyKeys, 50);

    // Past the item TTL only: streams (epoch + top) stay, still scheduled for meta expiry.
    broker.sweep(Date.now() + 2000);
    assert.equal(broker.stats().historyStreams, 51);
    assert.equal(broker.stats().scheduledStreams, 51);
    const kept = await broker.history('ch0', { limit: -1 }, READ);
    assert.equal(kept.publications.length, 0);
    assert.equal(kept.position.offset, 1);

    // Past the meta and idempotency TTLs ('ch0' was just re-read with a long meta TTL).
    broker.sweep(Date.now() + 301_000);
    assert.deepEqual(statsWithoutTimer(broker), emptyStats());
    await broker.close();
  });

  it('the 1 s timer sweeps on its own', async () => {
    const { broker } = await started();
    await broker.publish('short', Buffer.from('x'), { ...HISTORY, historyTtlMs: 100, historyMetaTtlMs: 100 });
    assert.equal(broker.stats().historyStreams, 1);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    assert.deepEqual(statsWithoutTimer(broker), emptyStats());
    await broker.close();
  });

  it('lazy expiry on access also unschedules the dropped stream', async () => {
    const { broker } = await started();
    const first = await broker.publish('lazy', Buffer.from('a'), { ...HISTORY, historyTtlMs: 20, historyMetaTtlMs: 20 });
    await new Promise((resolve) => setTimeout(resolve, 40));
    const second = await broker.publish('lazy', Buffer.from('b'), HISTORY);
    assert.equal(second.position.offset, 1);
    assert.notEqual(second.position.epoch, first.position.epoch);
    assert.equal(broker.stats().historyStreams, 1);
    assert.equal(broker.stats().scheduledStreams, 1, 'the replaced stream left the queue');
    await broker.close();
  });

  it('looks up prev only for delta publishes (like Centrifugo)', async () => {
    const { broker, events } = await started();
    await broker.publish('d', Buffer.from('a'), HISTORY);
    await broker.publish('d', Buffer.from('b'), HISTORY);
    await broker.publish('d', Buffer.from('c'), { ...HISTORY, delta: true });
    assert.deepEqual(
      events.publications.map((p) => p.prev?.data.toString()),
      [undefined, undefined, 'b'],
    );
    await broker.close();
  });

  it('a version-less publish resets the stored version (memory semantics, spec §10.5)', async () => {
    const { broker } = await started();
    assert.equal((await broker.publish('v', Buffer.from('a'), { ...HISTORY, version: 5 })).suppressed, false);
    assert.equal((await broker.publish('v', Buffer.from('b'), HISTORY)).suppressed, false);
    assert.equal((await broker.publish('v', Buffer.from('c'), { ...HISTORY, version: 3 })).suppressed, false);
    await broker.close();
  });

  it('a smaller historySize on a later publish trims the stream at once', async () => {
    const { broker } = await started();
    for (let i = 0; i < 8; i++) await broker.publish('shrink', Buffer.from(String(i)), HISTORY);
    await broker.publish('shrink', Buffer.from('8'), { ...HISTORY, historySize: 2 });
    const hist = await broker.history('shrink', { limit: -1 }, READ);
    assert.deepEqual(
      hist.publications.map((p) => p.offset),
      [8, 9],
    );
    for (let i = 0; i < 20; i++) await broker.publish('shrink', Buffer.from('g'), { ...HISTORY, historySize: 15 });
    const grown = await broker.history('shrink', { limit: -1 }, READ);
    assert.deepEqual(
      grown.publications.map((p) => p.offset),
      Array.from({ length: 15 }, (_, i) => 15 + i),
    );
    await broker.close();
  });

  it('close() clears all state', async () => {
    const { broker } = await started();
    await broker.publish('a', Buffer.from('x'), { ...HISTORY, idempotencyKey: 'k' });
    await broker.close();
    assert.deepEqual(broker.stats(), { ...emptyStats(), sweepTimer: 'stopped' });
  });
});
