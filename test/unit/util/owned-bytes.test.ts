import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryBroker } from '../../../src/engines/memory/memory-broker.js';
import { ownedBytes, ownedUtf8 } from '../../../src/util/owned-bytes.js';
import { RawJson } from '../../../src/protocol/json/raw-json.js';
import { RecordingHandler } from '../../broker-suite.js';

describe('ownedBytes', () => {
  it('copies a slice of a pool slab into memory of its own, same bytes', () => {
    const pooled = Buffer.from('{"a":1}');
    assert.ok(pooled.buffer.byteLength > pooled.byteLength, 'small Buffer.from comes from the pool');
    const own = ownedBytes(pooled);
    assert.notEqual(own.buffer, pooled.buffer);
    assert.equal(own.buffer.byteLength, own.byteLength);
    assert.deepEqual(own, pooled);
  });

  it('keeps a Buffer that already has its memory to itself, and empty ones', () => {
    const own = Buffer.allocUnsafeSlow(16).fill(7);
    assert.equal(ownedBytes(own), own);
    assert.equal(ownedBytes(Buffer.alloc(0)).byteLength, 0);
    assert.equal(ownedBytes(Buffer.from('x').subarray(0, 0)).byteLength, 0);
  });

  it("ownedUtf8 gives Buffer.from's bytes, in memory of their own; RawJson payloads use it", () => {
    for (const text of ['', '{"a":"é✓😀"}', 'x'.repeat(5000)]) {
      const own = ownedUtf8(text);
      assert.deepEqual(own, Buffer.from(text, 'utf8'));
      assert.equal(own.buffer.byteLength, own.byteLength);
      assert.equal(ownedBytes(own), own);
    }
    const data = new RawJson('{"n":1}').toBuffer();
    assert.equal(data.buffer.byteLength, data.byteLength);
  });

  it('the memory broker keeps history bytes that hold no slab', async () => {
    const broker = new MemoryBroker();
    await broker.start(new RecordingHandler());
    try {
      const opts = { historySize: 10, historyTtlMs: 60_000, historyMetaTtlMs: 300_000 };
      await broker.publish('h', Buffer.from('{"n":1}'), opts);
      const { publications } = await broker.history('h', { limit: -1 }, { historyMetaTtlMs: 300_000 });
      assert.equal(publications.length, 1);
      const data = publications[0]!.data;
      assert.equal(data.toString(), '{"n":1}');
      assert.equal(data.buffer.byteLength, data.byteLength);
    } finally {
      await broker.close();
    }
  });
});
