// The protobuf wire layer against a BigInt reference encoder written here:
// varint edge cases, signed encodings, length prefixes, skipping and bounds.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DecodeError } from '../../../src/protocol/decode-error.js';
import { Reader, Writer, varintSize } from '../../../src/protocol/protobuf/wire.js';

/** Reference: the varint bytes of an unsigned 64-bit value, as hex. */
function refVarint(v: bigint): string {
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) b |= 0x80;
    out.push(b);
  } while (v !== 0n);
  return Buffer.from(out).toString('hex');
}
const twos = (v: number): bigint => (v < 0 ? (1n << 64n) + BigInt(v) : BigInt(v));
const zigzag = (v: number): bigint => (v < 0 ? -2n * BigInt(v) - 1n : 2n * BigInt(v));

function written(fn: (w: Writer) => void): string {
  const w = new Writer(4); // tiny, so growth is exercised too
  fn(w);
  return w.finish().toString('hex');
}
const reader = (hex: string): Reader => new Reader(Buffer.from(hex, 'hex'));
const decodeErr = (fn: () => unknown): void => assert.throws(fn, DecodeError);

const UNSIGNED = [0, 1, 127, 128, 300, 16383, 16384, 2 ** 21, 2 ** 28 - 1, 2 ** 28, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 35, 2 ** 49, 2 ** 53 - 1];
const SIGNED = [0, 1, -1, -2, 127, -127, -128, 2 ** 31 - 1, -(2 ** 31), 2 ** 32, -(2 ** 32), -(2 ** 32) - 1, 2 ** 53 - 1, -(2 ** 53 - 1)];

describe('protobuf wire: varints', () => {
  it('encodes the classic edge values', () => {
    assert.equal(
      written((w) => w.uint64(0)),
      '00',
    );
    assert.equal(
      written((w) => w.uint64(127)),
      '7f',
    );
    assert.equal(
      written((w) => w.uint64(128)),
      '8001',
    );
    assert.equal(
      written((w) => w.uint64(2 ** 32)),
      '8080808010',
    );
    assert.equal(
      written((w) => w.uint64(2 ** 53 - 1)),
      'ffffffffffffff0f',
    );
    assert.equal(
      written((w) => w.int32(-1)),
      'ffffffffffffffffff01',
    ); // sign-extended to 10 bytes
  });

  it('uint32/uint64 match the reference and read back', () => {
    for (const v of UNSIGNED) {
      const hex = written((w) => w.uint64(v));
      assert.equal(hex, refVarint(BigInt(v)), `uint64 ${v}`);
      assert.equal(reader(hex).uint64(), v);
      if (v < 2 ** 32) {
        assert.equal(
          written((w) => w.uint32(v)),
          hex,
        );
        assert.equal(reader(hex).uint32(), v);
        assert.equal(varintSize(v), hex.length / 2);
      }
    }
  });

  it('int64 is two’s complement (negatives take 10 bytes) and reads back', () => {
    for (const v of SIGNED) {
      const hex = written((w) => w.int64(v));
      assert.equal(hex, refVarint(twos(v)), `int64 ${v}`);
      if (v < 0) assert.equal(hex.length, 20);
      assert.equal(reader(hex).int64(), v);
    }
  });

  it('int32 is sign-extended; the low 32 bits are read, from 10 or 5 bytes', () => {
    for (const v of [0, 1, -1, 2 ** 31 - 1, -(2 ** 31), -100]) {
      const hex = written((w) => w.int32(v));
      assert.equal(hex, refVarint(twos(v)));
      assert.equal(reader(hex).int32(), v);
    }
    assert.equal(reader('ffffffff0f').int32(), -1);
  });

  it('sint64 is zigzag and reads back', () => {
    assert.equal(
      written((w) => w.sint64(0)),
      '00',
    );
    assert.equal(
      written((w) => w.sint64(-1)),
      '01',
    );
    assert.equal(
      written((w) => w.sint64(1)),
      '02',
    );
    assert.equal(
      written((w) => w.sint64(-2)),
      '03',
    );
    for (const v of SIGNED) {
      const hex = written((w) => w.sint64(v));
      assert.equal(hex, refVarint(zigzag(v)), `sint64 ${v}`);
      assert.equal(reader(hex).sint64(), v);
    }
  });

  it('bool is any non-zero varint', () => {
    assert.equal(reader('00').bool(), false);
    assert.equal(reader('01').bool(), true);
    assert.equal(reader('8001').bool(), true);
    assert.equal(reader(refVarint(1n << 40n)).bool(), true);
  });

  it('uint32 keeps the low 32 bits of a longer varint, like every parser', () => {
    assert.equal(reader(refVarint((1n << 32n) + 5n)).uint32(), 5);
    assert.equal(reader('ffffffffffffffffff01').uint32(), 0xffffffff);
  });

  it('refuses 64-bit values a JS number cannot hold', () => {
    decodeErr(() => reader(refVarint(1n << 53n)).uint64());
    decodeErr(() => reader(refVarint(2n ** 64n - 1n)).uint64());
    decodeErr(() => reader(refVarint(1n << 53n)).int64());
    decodeErr(() => reader(refVarint(twos(-(2 ** 53)))).int64());
    decodeErr(() => reader(refVarint(zigzag(-(2 ** 53)))).sint64());
    decodeErr(() => reader(refVarint(zigzag(2 ** 53))).sint64());
  });

  it('refuses truncated and over-long varints', () => {
    decodeErr(() => reader('').uint32());
    decodeErr(() => reader('80').uint32());
    decodeErr(() => reader('ffffffffff').uint64()); // 5 continuation bytes, then nothing
    decodeErr(() => reader('ffffffffffffffffff').uint64()); // 9 continuation bytes, then nothing
    decodeErr(() => reader('ffffffffffffffffff8001').uint64()); // 11 bytes
    assert.equal(reader('ffffffffffffffffff7f').uint32(), 0xffffffff); // 10 bytes; bits past 64 dropped
  });
});

describe('protobuf wire: tags, lengths, skipping', () => {
  it('refuses field number 0 and tags beyond 32 bits', () => {
    decodeErr(() => reader('00').tag());
    decodeErr(() => reader('07').tag());
    decodeErr(() => reader(refVarint(1n << 35n)).tag());
    assert.equal(reader('0a').tag(), 10);
  });

  it('a length prefix may not exceed the remaining bytes', () => {
    assert.equal(reader('03616263').string(), 'abc');
    decodeErr(() => reader('04616263').string());
    decodeErr(() => reader('ffffffff0f00').bytes()); // 4 GiB claimed: refused before any allocation
    decodeErr(() => reader(refVarint(1n << 40n) + '00').bytes());
    const r = new Reader(Buffer.from('0361626364', 'hex'), 0, 3); // end narrower than the buffer
    decodeErr(() => r.string());
  });

  it('bytes are a copy of the input', () => {
    const src = Buffer.from('03616263', 'hex');
    const b = new Reader(src).bytes();
    src[1] = 0;
    assert.equal(b.toString(), 'abc');
  });

  it('skips every wire type', () => {
    const r = reader(
      'ac02' + // varint
        '0102030405060708' + // i64
        '03616263' + // len
        '01020304' + // i32
        '01',
    );
    r.skip(0, 1);
    r.skip(1, 1);
    r.skip(2, 1);
    r.skip(5, 1);
    assert.equal(r.uint32(), 1);
    assert.equal(r.pos, r.end);
  });

  it('skips groups, nested ones included, up to the matching end tag', () => {
    // group 7 { field 1 varint; group 8 { field 2 len "x" }; } then value 9
    const r = reader('08 01 43 12 01 78 44 3c 09'.replaceAll(' ', ''));
    r.skip(3, 7);
    assert.equal(r.uint32(), 9);
  });

  it('refuses malformed groups and invalid wire types', () => {
    decodeErr(() => reader('0801').skip(3, 7)); // never closed
    decodeErr(() => reader('44').skip(3, 7)); // closed by group 8
    decodeErr(() => reader('').skip(4, 7)); // end without start
    decodeErr(() => reader('00').skip(6, 1));
    decodeErr(() => reader('00').skip(7, 1));
    decodeErr(() => reader('01020304050607').skip(1, 1)); // i64 short
    decodeErr(() => reader('010203').skip(5, 1)); // i32 short
    const deep = Buffer.alloc(200);
    deep.fill(0x0b); // 200 nested group starts of field 1
    assert.throws(() => new Reader(deep).skip(3, 1), DecodeError);
  });
});

describe('protobuf wire: writer', () => {
  it('patches lengths at every varint-size boundary', () => {
    for (const n of [0, 1, 127, 128, 16383, 16384, 70000, 2097152]) {
      const w = new Writer(8);
      w.uint32(0x0a);
      const start = w.beginLen();
      w.ensure(n);
      w.buf.fill(0x61, w.pos, w.pos + n);
      w.pos += n;
      w.uint32(0x10); // something after, to see nothing is overwritten
      w.endLen(start);
      w.uint32(0x7f);
      const out = w.finish();
      const r = new Reader(out);
      assert.equal(r.uint32(), 0x0a);
      const len = r.length();
      assert.equal(len, n + 1);
      assert.equal(
        out.subarray(r.pos, r.pos + n).every((b) => b === 0x61),
        true,
      );
      r.pos += len;
      assert.equal(r.uint32(), 0x7f);
      assert.equal(r.pos, out.length);
    }
  });

  it('nested lengths patch independently', () => {
    const w = new Writer(8);
    const outer = w.beginLen();
    const inner = w.beginLen();
    w.bytes(Buffer.alloc(300, 1));
    w.endLen(inner);
    w.string('tail');
    w.endLen(outer);
    const r = new Reader(w.finish());
    const total = r.length();
    assert.equal(total, r.end - r.pos);
    const innerLen = r.length();
    assert.equal(innerLen, 302); // 2-byte length + 300
    r.pos += innerLen;
    assert.equal(r.string(), 'tail');
  });

  it('writes strings as UTF-8 with exact lengths', () => {
    for (const s of ['', 'a', 'news:42', 'é', '日本語', '😀', '€'.repeat(42), '€'.repeat(43), 'x'.repeat(42) + 'é', 'a'.repeat(1000), '\ud800']) {
      const w = new Writer(2);
      w.string(s);
      const out = w.finish();
      const expected = Buffer.from(s, 'utf8');
      const r = new Reader(out);
      assert.equal(r.length(), expected.length, JSON.stringify(s));
      assert.deepEqual(out.subarray(r.pos), expected);
      assert.equal(new Reader(out).string(), expected.toString('utf8'));
    }
  });

  it('finish hands out views that later writes never touch, across slabs and moves', () => {
    const w = new Writer(64);
    const out: Array<[Buffer, string]> = [];
    for (let i = 0; i < 500; i++) {
      const s = 'm' + i + 'x'.repeat(i % 97);
      const start = w.beginLen();
      w.string(s);
      if (i % 50 === 0) w.bytes(Buffer.alloc(300, i)); // bigger than the slab: a buffer of its own
      w.endLen(start);
      out.push([w.finish(), s]);
    }
    for (const [i, [frame, s]] of out.entries()) {
      const r = new Reader(frame);
      r.end = r.length() + r.pos;
      assert.equal(r.string(), s);
      if (i % 50 === 0) assert.deepEqual(r.bytes(), Buffer.alloc(300, i));
      assert.equal(r.pos, frame.length);
    }
  });

  it('abandon drops a half-written message', () => {
    const w = new Writer();
    w.string('keep');
    const a = w.finish();
    w.string('drop');
    w.abandon();
    w.string('next');
    assert.equal(a.toString('hex'), '046b656570');
    assert.equal(w.finish().toString('hex'), '046e657874');
  });
});
