// Hostile input: whatever bytes arrive, decoding either succeeds or throws
// DecodeError (→ 3501), never another exception, a hang or a huge allocation.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DecodeError } from '../../../src/protocol/decode-error.js';
import { protobufCodec } from '../../../src/protocol/protobuf/codec.js';
import { decodeDelimited, encodeDelimited } from '../../../src/protocol/protobuf/message.js';
import { Command, Kind, Reply, type MessageDesc } from '../../../src/protocol/protobuf/schema.js';

/** mulberry32: a seeded PRNG, so a failure can be replayed. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs decode; returns true when it succeeded, false on DecodeError, and fails the test on anything else. */
function survives(decode: () => unknown, input: Buffer): boolean {
  try {
    decode();
    return true;
  } catch (err) {
    if (err instanceof DecodeError) return false;
    assert.fail(`${(err as Error)?.name}: ${(err as Error)?.message} for input ${input.toString('hex')}`);
  }
}

const VALID = [
  { id: 1, connect: { token: 't', data: Buffer.from('{"a":1}'), subs: { news: { recover: true, offset: 5, epoch: 'e' } }, name: 'js', headers: { a: 'b' } } },
  { id: 2, subscribe: { channel: 'news', recover: true, offset: 300, epoch: 'e', flag: 1, delta: 'fossil', data: Buffer.from([0, 1, 2]) } },
  { id: 3, history: { channel: 'h', limit: -1, since: { offset: 2 ** 40, epoch: 'x' }, reverse: true } },
  { id: 4, publish: { channel: 'p', data: Buffer.alloc(200, 1) } },
  { id: 5, rpc: { method: 'm', data: Buffer.from('{}') } },
  { send: { data: Buffer.from('x') } },
  {},
  { id: 6, sub_refresh: { channel: 'c', token: 't' } },
];
const validFrame = Buffer.concat(VALID.map((c) => encodeDelimited(Command, c)));
const decodeCommands = (b: Buffer) => () => protobufCodec.decodeCommands(b);

describe('protobuf fuzz', { timeout: 60_000 }, () => {
  it('5000 random buffers', () => {
    const rnd = prng(1);
    let ok = 0;
    for (let i = 0; i < 5000; i++) {
      const buf = Buffer.alloc(Math.floor(rnd() * 80));
      // Small lengths first: random bytes as frame lengths are mostly too big to get anywhere.
      for (let j = 0; j < buf.length; j++) buf[j] = rnd() < 0.5 ? Math.floor(rnd() * 24) : Math.floor(rnd() * 256);
      if (survives(decodeCommands(buf), buf)) ok++;
      survives(() => decodeDelimited(buf, Reply), buf);
    }
    assert.ok(ok > 0, 'some random frames should decode');
  });

  it('5000 mutations of a valid frame (flips, inserts, deletes, splices)', () => {
    const rnd = prng(2);
    for (let i = 0; i < 5000; i++) {
      const bytes = [...validFrame];
      const edits = 1 + Math.floor(rnd() * 4);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(rnd() * bytes.length);
        const op = rnd();
        if (op < 0.4) bytes[at] = Math.floor(rnd() * 256);
        else if (op < 0.6) bytes[at] = bytes[at]! ^ (1 << Math.floor(rnd() * 8));
        else if (op < 0.8) bytes.splice(at, 0, Math.floor(rnd() * 256));
        else bytes.splice(at, 1 + Math.floor(rnd() * 4));
      }
      const buf = Buffer.from(bytes);
      survives(decodeCommands(buf), buf);
    }
  });

  it('every truncation of a valid frame fails cleanly, except at message boundaries', () => {
    const boundaries = new Set<number>();
    let at = 0;
    for (const c of VALID) boundaries.add((at += encodeDelimited(Command, c).length));
    for (let n = 1; n < validFrame.length; n++) {
      const buf = validFrame.subarray(0, n);
      assert.equal(survives(decodeCommands(buf), buf), boundaries.has(n), `prefix of ${n} bytes`);
    }
  });

  it('length prefixes larger than what is left, at every level, cost nothing', () => {
    const huge = [
      'ffffffff0f', // frame of 4 GiB
      'ffffffffffffffffff01', // frame of 2^64-1
      '09 22 ffffffff0f 0a 01 61', // connect of 4 GiB
      '07 22 05 0a 7f 61 62 63', // token of 127 bytes
      '09 22 07 1a 05 0a 7f 00 12 00', // subs key of 127 bytes
      '08 2a 06 42 80 80 80 80 10', // data (8) of 2^32 bytes
    ];
    for (const h of huge) {
      const buf = Buffer.from(h.replace(/ /g, ''), 'hex');
      const t0 = performance.now();
      assert.throws(decodeCommands(buf), DecodeError, h);
      assert.ok(performance.now() - t0 < 50, 'no time spent allocating');
    }
  });

  it('a wrong wire type for any known field of any request is a DecodeError', () => {
    const payload: Record<number, string> = { 0: '01', 1: '0102030405060708', 2: '00', 5: '01020304' };
    let checked = 0;
    const visit = (desc: MessageDesc, wrap: (body: Buffer) => Buffer, depth: number): void => {
      for (const f of desc.fields) {
        for (const wire of [0, 1, 2, 5]) {
          if (wire === f.wire) continue;
          // Request field numbers are ≤ 15: one-byte tags, and every body here is < 128 bytes.
          const body = Buffer.concat([Buffer.from([(f.no << 3) | wire]), Buffer.from(payload[wire]!, 'hex')]);
          const buf = wrap(body);
          assert.throws(decodeCommands(buf), DecodeError, `${desc.name}.${f.name} as wire ${wire}`);
          checked++;
        }
        if (f.kind === Kind.message && depth < 3) {
          visit(f.message!, (inner) => wrap(Buffer.concat([Buffer.from([f.tag, inner.length]), inner])), depth + 1);
        }
      }
    };
    visit(Command, (body) => Buffer.concat([Buffer.from([body.length]), body]), 0);
    assert.ok(checked > 60, `checked ${checked}`);
  });

  it('deep and wide group nesting is refused without recursion', () => {
    const deep = Buffer.alloc(5000, 0xa3); // field 20 start-group, half of a two-byte tag…
    for (let i = 1; i < deep.length; i += 2) deep[i] = 0x01; // …made whole: a3 01
    const frame = Buffer.concat([Buffer.from([0x88, 0x27]), deep]); // length 5000
    assert.throws(decodeCommands(frame), DecodeError);
  });

  it('64 KiB of zero bytes is 65536 pongs, quickly', () => {
    const t0 = performance.now();
    const cmds = protobufCodec.decodeCommands(Buffer.alloc(65536));
    assert.equal(cmds.length, 65536);
    assert.ok(performance.now() - t0 < 2000);
  });
});
