// How /health and the start log speak of the broker and the presence manager
// together: the words one Engine object used, whichever half is sick.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EngineHealth } from '../../../src/engines/availability.js';
import { engineHealth, engineName } from '../../../src/engines/status.js';

function half(name: string, health: EngineHealth = { healthy: true }) {
  return { name, health: () => health };
}

const down = (detail: string): EngineHealth => ({ healthy: false, detail });

describe('engine status of the two halves', () => {
  it('one name for the halves of one engine block, broker+presence when a block split them', () => {
    assert.equal(engineName({ broker: half('redis'), presenceManager: half('redis') }), 'redis');
    assert.equal(engineName({ broker: half('memory'), presenceManager: half('memory') }), 'memory');
    assert.equal(engineName({ broker: half('memory'), presenceManager: half('redis'), split: true }), 'memory+redis-presence');
    assert.equal(engineName({ broker: half('redis'), presenceManager: half('memory'), split: true }), 'redis+memory-presence');
    // Two Redis deployments, one per half, are still two backends.
    assert.equal(engineName({ broker: half('redis'), presenceManager: half('redis'), split: true }), 'redis+redis-presence');
  });

  it('healthy only when both halves are', () => {
    assert.deepEqual(engineHealth({ broker: half('redis'), presenceManager: half('redis') }), { healthy: true });
    assert.equal(engineHealth({ broker: half('memory'), presenceManager: half('redis', down('x')) }).healthy, false);
    assert.equal(engineHealth({ broker: half('redis', down('x')), presenceManager: half('memory') }).healthy, false);
  });

  it('halves of different kinds: the sick half is named', () => {
    const a = 'redis://127.0.0.1:6379: commands: connect ECONNREFUSED';
    assert.deepEqual(engineHealth({ broker: half('memory'), presenceManager: half('redis', down(a)), split: true }), {
      healthy: false,
      detail: `presence manager: ${a}`,
    });
    assert.deepEqual(engineHealth({ broker: half('redis', down(a)), presenceManager: half('memory'), split: true }), {
      healthy: false,
      detail: `broker: ${a}`,
    });
    assert.deepEqual(engineHealth({ broker: half('redis', down(a)), presenceManager: half('redis', down(a)), split: true }), {
      healthy: false,
      detail: `broker: ${a}; presence manager: ${a}`,
    });
  });

  it('halves sharing shards: each problem is said once, as the single engine said it', () => {
    const a = 'redis://a:6379: commands: connect ECONNREFUSED';
    const b = 'redis://b:6379: PUB/SUB: connect ECONNREFUSED';
    const c = 'redis://c:6379: commands: connect ECONNREFUSED';
    // The broker needs both links of every shard, the presence manager only the command links.
    const broker = half('redis', down(`${a}; ${b}; ${c}`));
    const presenceManager = half('redis', down(`${a}; ${c}`));
    assert.deepEqual(engineHealth({ broker, presenceManager }), { healthy: false, detail: `${a}; ${b}; ${c}` });
    // Only the PUB/SUB link down: presence still works, the broker does not.
    assert.deepEqual(engineHealth({ broker: half('redis', down(b)), presenceManager: half('redis') }), { healthy: false, detail: b });
  });
});
