import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { recoverCache, recoverStream } from '../../../src/client/recovery.js';
import type { Publication } from '../../../src/protocol/types.js';

const pub = (offset: number): Publication => ({ data: Buffer.from(String(offset)), offset });
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => pub(from + i));

describe('stream recovery', () => {
  it('recovers when the publications run from since+1 to top', () => {
    const r = recoverStream({ offset: 3, epoch: 'e' }, range(4, 7), { offset: 7, epoch: 'e' });
    assert.equal(r.recovered, true);
    assert.deepEqual(
      r.publications.map((p) => p.offset),
      [4, 5, 6, 7],
    );
  });
  it('recovers with nothing missed when the client is at top', () => {
    assert.deepEqual(recoverStream({ offset: 7, epoch: 'e' }, [], { offset: 7, epoch: 'e' }), { recovered: true, publications: [] });
  });
  it('does not recover across an epoch change', () => {
    assert.equal(recoverStream({ offset: 3, epoch: 'old' }, range(4, 7), { offset: 7, epoch: 'new' }).recovered, false);
  });
  it('treats the SDK sentinel epoch "_" as unrecoverable', () => {
    assert.equal(recoverStream({ offset: 0, epoch: '_' }, range(1, 2), { offset: 2, epoch: 'abc' }).recovered, false);
  });
  it('accepts an empty client epoch (first subscribe with since)', () => {
    assert.equal(recoverStream({ offset: 0, epoch: '' }, range(1, 2), { offset: 2, epoch: 'abc' }).recovered, true);
  });
  it('does not recover when history was trimmed past the client position', () => {
    const r = recoverStream({ offset: 1, epoch: 'e' }, range(5, 7), { offset: 7, epoch: 'e' });
    assert.deepEqual(r, { recovered: false, publications: [] });
  });
  it('does not recover when the recovery limit cut the list short of top', () => {
    assert.equal(recoverStream({ offset: 1, epoch: 'e' }, range(2, 4), { offset: 9, epoch: 'e' }).recovered, false);
  });
  it('does not recover when nothing came back but the client is behind', () => {
    assert.equal(recoverStream({ offset: 1, epoch: 'e' }, [], { offset: 9, epoch: 'e' }).recovered, false);
  });
});

describe('cache recovery', () => {
  it('hands back the latest publication unless the client already has it', () => {
    assert.deepEqual(recoverCache({ offset: 2, epoch: 'e' }, pub(9), { offset: 9, epoch: 'e' }).publications.length, 1);
    assert.deepEqual(recoverCache({ offset: 9, epoch: 'e' }, pub(9), { offset: 9, epoch: 'e' }), { recovered: true, publications: [] });
  });
  it('without any publication recovers only a client already at top', () => {
    assert.equal(recoverCache({ offset: 5, epoch: 'e' }, undefined, { offset: 5, epoch: 'e' }).recovered, true);
    // A client that never had a position (offset 0) is not "at top" of an empty stream.
    assert.equal(recoverCache({ offset: 0, epoch: 'e' }, undefined, { offset: 0, epoch: 'e' }).recovered, false);
    assert.equal(recoverCache({ offset: 3, epoch: 'x' }, undefined, { offset: 0, epoch: 'e' }).recovered, false);
  });
});
