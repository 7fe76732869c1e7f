import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import { Writer } from '../../../src/client/writer.js';
import type { Transport } from '../../../src/client/transport.js';
import type { Frame } from '../../../src/protocol/codec.js';

const joinLines = (frames: Frame[]): Frame => frames.join('\n');

function fakeTransport(buffered = 0) {
  const writes: Frame[] = [];
  const t: Transport = {
    name: 'fake',
    mode: 'bidirectional',
    disconnectPush: false,
    protocol: 'json',
    bufferedAmount: () => buffered,
    write: (m) => writes.push(m),
    close: () => undefined,
    pauseReading: () => undefined,
    resumeReading: () => undefined,
  };
  return { t, writes };
}

describe('the per-connection writer', () => {
  it('coalesces messages queued in one turn into one newline-joined write', async () => {
    const { t, writes } = fakeTransport();
    const w = new Writer(t, { onQueueOverflow: () => assert.fail(), onWriteError: () => assert.fail() }, joinLines, 1024);
    w.enqueue('{"a":1}');
    w.enqueue('{"b":2}');
    w.enqueue('{"c":3}');
    assert.deepEqual(writes, []);
    await tick();
    assert.deepEqual(writes, ['{"a":1}\n{"b":2}\n{"c":3}']);
    w.enqueue('{}');
    await tick();
    assert.deepEqual(writes.at(-1), '{}');
  });
  it('overflows once when queued plus socket-buffered bytes pass the limit', async () => {
    const { t, writes } = fakeTransport(90);
    let overflows = 0;
    const w = new Writer(t, { onQueueOverflow: () => overflows++, onWriteError: () => assert.fail() }, joinLines, 100);
    w.enqueue('x'.repeat(5));
    w.enqueue('x'.repeat(10));
    w.enqueue('more');
    await tick();
    assert.equal(overflows, 1);
    assert.deepEqual(writes, []);
  });
  it('reports a throwing transport as a write error', async () => {
    const t: Transport = {
      name: 'f',
      mode: 'bidirectional',
      disconnectPush: false,
      protocol: 'json',
      bufferedAmount: () => 0,
      write: () => {
        throw new Error('EPIPE');
      },
      close: () => undefined,
      pauseReading: () => undefined,
      resumeReading: () => undefined,
    };
    let errors = 0;
    const w = new Writer(t, { onQueueOverflow: () => assert.fail(), onWriteError: () => errors++ }, joinLines, 0);
    w.enqueue('a');
    await tick();
    assert.equal(errors, 1);
    w.enqueue('b');
    await tick();
    assert.equal(errors, 1);
  });
  it('gives up on a socket that has not drained for longer than the write timeout', async () => {
    const writes: Frame[] = [];
    const t: Transport = {
      name: 'f',
      mode: 'bidirectional',
      disconnectPush: false,
      protocol: 'json',
      bufferedAmount: () => 10, // never drains
      write: (m) => writes.push(m),
      close: () => undefined,
      pauseReading: () => undefined,
      resumeReading: () => undefined,
    };
    let errors = 0;
    const w = new Writer(t, { onQueueOverflow: () => assert.fail(), onWriteError: () => errors++ }, joinLines, 0, 50);
    w.enqueue('a');
    await tick();
    assert.equal(errors, 0, 'the first stalled flush only starts the clock');
    await new Promise((r) => setTimeout(r, 70));
    w.enqueue('b');
    await tick();
    assert.equal(errors, 1);
    assert.deepEqual(writes, ['a']);
  });
});
