// The protobuf wire format, just as much of it as the client protocol needs:
// varints (32/64-bit as JS numbers, 64-bit values limited to ±(2^53-1)),
// length-delimited fields, and skipping of everything else. Written from the
// encoding rules, not from any library.
//
// The Reader reads client bytes, so every read is bounds-checked against
// `end` and anything malformed throws DecodeError (→ disconnect 3501), never
// a RangeError, and never allocates more than the bytes actually present.

import { isUtf8 } from 'node:buffer';
import { DecodeError } from '../decode-error.js';

export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_SGROUP = 3;
export const WIRE_EGROUP = 4;
export const WIRE_I32 = 5;

const TWO_32 = 4294967296;
/** Values of hi (the upper 32 bits) below this keep hi*2^32+lo under 2^53. */
const SAFE_HI = 0x200000;
/** Deprecated groups nest; skipping them is iterative, this just bounds the work stack. */
const MAX_GROUP_DEPTH = 64;

export class Reader {
  pos: number;
  /** End of the message being read; nested messages narrow it and restore it. */
  end: number;
  // The last varint, as two uint32 halves, so 64-bit reads allocate nothing.
  private lo = 0;
  private hi = 0;

  constructor(
    readonly buf: Buffer,
    pos = 0,
    end = buf.length,
    /** Refuse strings that are not valid UTF-8 (see string()). */
    readonly strictUtf8 = false,
  ) {
    this.pos = pos;
    this.end = end;
  }

  private truncated(): never {
    throw new DecodeError('protobuf: truncated message');
  }

  /** Reads a varint of up to 10 bytes into lo/hi. Bits past 64 are dropped, as protobuf parsers do. */
  private varint(): void {
    const buf = this.buf;
    const end = this.end;
    let pos = this.pos;
    let lo = 0;
    let b: number;
    // Bytes 0–3: 28 bits of lo. Small values (tags, lengths) leave here.
    for (let shift = 0; shift < 28; shift += 7) {
      if (pos >= end) this.truncated();
      b = buf[pos++]!;
      lo |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = pos;
        this.lo = lo >>> 0;
        this.hi = 0;
        return;
      }
    }
    // Byte 4: 4 bits finish lo, 3 bits start hi.
    if (pos >= end) this.truncated();
    b = buf[pos++]!;
    lo |= (b & 0x0f) << 28;
    let hi = (b & 0x7f) >>> 4;
    if (b < 0x80) {
      this.pos = pos;
      this.lo = lo >>> 0;
      this.hi = hi;
      return;
    }
    // Bytes 5–9: the rest of hi (at shift 31 only one bit still fits).
    for (let shift = 3; shift < 32; shift += 7) {
      if (pos >= end) this.truncated();
      b = buf[pos++]!;
      hi |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = pos;
        this.lo = lo >>> 0;
        this.hi = hi >>> 0;
        return;
      }
    }
    throw new DecodeError('protobuf: varint longer than 10 bytes');
  }

  /** A field tag; field number 0 does not exist. */
  tag(): number {
    this.varint();
    if (this.hi !== 0 || this.lo >>> 3 === 0) throw new DecodeError('protobuf: invalid field tag');
    return this.lo;
  }

  /** uint32 keeps the low 32 bits of a longer varint, like every protobuf parser. */
  uint32(): number {
    this.varint();
    return this.lo;
  }

  /** int32 is sent sign-extended to 10 bytes when negative; the low 32 bits hold the value. */
  int32(): number {
    this.varint();
    return this.lo | 0;
  }

  uint64(): number {
    this.varint();
    if (this.hi >= SAFE_HI) throw new DecodeError('protobuf: uint64 beyond 2^53-1');
    return this.hi * TWO_32 + this.lo;
  }

  int64(): number {
    this.varint();
    let lo = this.lo;
    let hi = this.hi;
    if (hi < 0x80000000) {
      if (hi >= SAFE_HI) throw new DecodeError('protobuf: int64 beyond 2^53-1');
      return hi * TWO_32 + lo;
    }
    // Negative: two's complement, negate to get the magnitude.
    lo = (~lo + 1) >>> 0;
    hi = (~hi + (lo === 0 ? 1 : 0)) >>> 0;
    if (hi >= SAFE_HI) throw new DecodeError('protobuf: int64 beyond -(2^53-1)');
    return -(hi * TWO_32 + lo);
  }

  /** Zigzag: 0,-1,1,-2 … are sent as 0,1,2,3 … */
  sint64(): number {
    this.varint();
    const negative = (this.lo & 1) === 1;
    const lo = ((this.lo >>> 1) | (this.hi << 31)) >>> 0;
    const hi = this.hi >>> 1;
    if (hi >= SAFE_HI) throw new DecodeError('protobuf: sint64 beyond 2^53-1');
    const magnitude = hi * TWO_32 + lo;
    if (!negative) return magnitude;
    const v = -magnitude - 1;
    if (!Number.isSafeInteger(v)) throw new DecodeError('protobuf: sint64 beyond -(2^53-1)');
    return v;
  }

  bool(): boolean {
    this.varint();
    return (this.lo | this.hi) !== 0;
  }

  /** A length prefix; it may not point past the end of the enclosing message. */
  length(): number {
    this.varint();
    if (this.hi !== 0 || this.lo > this.end - this.pos) {
      throw new DecodeError('protobuf: length prefix exceeds the remaining bytes');
    }
    return this.lo;
  }

  /** A copy, so a stored payload does not pin the whole inbound frame in memory. */
  /** A little-endian IEEE 754 double (wire type I64). */
  double(): number {
    if (this.pos + 8 > this.end) this.truncated();
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  bytes(): Buffer {
    const n = this.length();
    const out = Buffer.allocUnsafe(n);
    this.buf.copy(out, 0, this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /**
   * Invalid UTF-8 becomes U+FFFD, as JSON clients cannot send it at all;
   * nothing is refused, unless the reader is strict (the GRPC API: Go's
   * protobuf refuses such a string, and so do we).
   */
  string(): string {
    const n = this.length();
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    // Only a string holding U+FFFD can have been invalid: the full check runs for those alone.
    if (this.strictUtf8 && s.includes('\uFFFD') && !isUtf8(this.buf.subarray(this.pos, this.pos + n))) {
      throw new DecodeError('protobuf: string field holds invalid UTF-8');
    }
    this.pos += n;
    return s;
  }

  /** Skips the value of a field the schema does not read (`field` matters for groups only). */
  skip(wire: number, field: number): void {
    switch (wire) {
      case WIRE_VARINT:
        this.varint();
        return;
      case WIRE_I64:
        this.advance(8);
        return;
      case WIRE_LEN: {
        const n = this.length(); // not `pos += length()`: that would add to pos as it was before the prefix
        this.pos += n;
        return;
      }
      case WIRE_I32:
        this.advance(4);
        return;
      case WIRE_SGROUP:
        this.skipGroup(field);
        return;
      case WIRE_EGROUP:
        throw new DecodeError('protobuf: unexpected end-group tag');
      default:
        throw new DecodeError(`protobuf: invalid wire type ${wire}`);
    }
  }

  private advance(n: number): void {
    if (this.end - this.pos < n) this.truncated();
    this.pos += n;
  }

  /**
   * A (deprecated) group runs until the end-group tag with its own field
   * number, and groups nest. Iterative, with a bounded stack of open groups,
   * so hostile nesting costs neither call stack nor much memory.
   */
  private skipGroup(field: number): void {
    const open = [field];
    while (open.length > 0) {
      const tag = this.tag();
      const wire = tag & 7;
      if (wire === WIRE_SGROUP) {
        if (open.length >= MAX_GROUP_DEPTH) throw new DecodeError('protobuf: groups nested too deep');
        open.push(tag >>> 3);
      } else if (wire === WIRE_EGROUP) {
        if (open.pop() !== tag >>> 3) throw new DecodeError('protobuf: mismatched end-group tag');
      } else {
        this.skip(wire, tag >>> 3);
      }
    }
  }
}

/** Bytes a uint32 varint takes. */
export function varintSize(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

/**
 * Writes messages into a slab and hands each one out as a view of it, the way
 * Node's own Buffer pool does: no copy and no buffer allocation per message, and a
 * slab stays alive while any message in it does. A message that outgrows the
 * slab's free space moves to a fresh buffer (doubling as needed; a message
 * bigger than a slab gets one of its own).
 *
 * Length-delimited values are written after a one-byte placeholder for their
 * length, which is patched afterwards; only a value of 128 bytes or more
 * moves (once, by memmove), so nothing is measured twice and no intermediate
 * buffers are concatenated. Positions returned by beginLen are relative to
 * the message start, so they survive a move.
 */
export class Writer {
  buf: Buffer;
  /** Where the message being written starts in buf; bytes before it belong to messages already handed out. */
  start = 0;
  pos = 0;

  constructor(private readonly slab = 8192) {
    this.buf = Buffer.allocUnsafeSlow(slab);
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const used = this.pos - this.start;
    let size = this.slab;
    while (size < used + n) size *= 2;
    const next = Buffer.allocUnsafeSlow(size);
    this.buf.copy(next, 0, this.start, this.pos);
    this.buf = next;
    this.start = 0;
    this.pos = used;
  }

  /** An unsigned varint of a value in [0, 2^32). */
  uint32(v: number): void {
    this.ensure(5);
    const buf = this.buf;
    let pos = this.pos;
    while (v > 0x7f) {
      buf[pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[pos++] = v;
    this.pos = pos;
  }

  private varint64(lo: number, hi: number): void {
    this.ensure(10);
    const buf = this.buf;
    let pos = this.pos;
    while (hi !== 0) {
      buf[pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    while (lo > 0x7f) {
      buf[pos++] = (lo & 0x7f) | 0x80;
      lo >>>= 7;
    }
    buf[pos++] = lo;
    this.pos = pos;
  }

  /** v in [0, 2^53). */
  uint64(v: number): void {
    if (v < TWO_32) return this.uint32(v);
    const lo = v >>> 0;
    this.varint64(lo, (v - lo) / TWO_32);
  }

  double(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }

  /** Negative values are the 64-bit two's complement: always 10 bytes. */
  int64(v: number): void {
    if (v >= 0) return this.uint64(v);
    const m = -v;
    let lo = m >>> 0;
    let hi = (m - lo) / TWO_32;
    lo = (~lo + 1) >>> 0;
    hi = (~hi + (lo === 0 ? 1 : 0)) >>> 0;
    this.varint64(lo, hi);
  }

  /** int32 is sign-extended to 64 bits on the wire, so negatives take 10 bytes too. */
  int32(v: number): void {
    if (v >= 0) this.uint32(v);
    else this.int64(v);
  }

  /** Zigzag, computed on the halves: 2v for v ≥ 0, 2(-v-1)+1 for v < 0 (2v would lose precision). */
  sint64(v: number): void {
    const m = v >= 0 ? v : -v - 1;
    const lo = m >>> 0;
    const hi = (m - lo) / TWO_32;
    this.varint64(((lo << 1) | (v < 0 ? 1 : 0)) >>> 0, ((hi << 1) | (lo >>> 31)) >>> 0);
  }

  bytes(b: Uint8Array): void {
    this.uint32(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  string(s: string): void {
    const len = s.length;
    if (len < 43) {
      // At most 42*3 = 126 UTF-8 bytes: the length fits the one byte reserved here.
      this.ensure(1 + len * 3);
      const buf = this.buf;
      const start = this.pos + 1;
      let i = 0;
      for (; i < len; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[start + i] = c;
      }
      const n = i === len ? len : buf.write(s, start, 'utf8');
      buf[this.pos] = n;
      this.pos = start + n;
      return;
    }
    const n = Buffer.byteLength(s, 'utf8');
    this.uint32(n);
    this.ensure(n);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  /** Opens a length-delimited value; returns where its length goes (relative to the message start). */
  beginLen(): number {
    this.ensure(1);
    return this.pos++ - this.start;
  }

  /** Closes a value opened by beginLen, writing its length in front of it. */
  endLen(rel: number): void {
    const at = this.start + rel;
    const len = this.pos - at - 1;
    if (len < 0x80) {
      this.buf[at] = len;
      return;
    }
    const extra = varintSize(len) - 1;
    this.ensure(extra);
    const buf = this.buf;
    const p0 = this.start + rel; // ensure may have moved the message
    buf.copyWithin(p0 + 1 + extra, p0 + 1, this.pos);
    this.pos += extra;
    let p = p0;
    let v = len;
    while (v > 0x7f) {
      buf[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[p] = v;
  }

  /** The message written since the last finish, as a view that later writes never touch. */
  finish(): Buffer {
    const out = this.buf.subarray(this.start, this.pos);
    this.start = this.pos;
    // An oversized buffer (one big message) or a nearly full slab is left to its views.
    if (this.buf.length > this.slab || this.buf.length - this.pos < 256) this.fresh();
    return out;
  }

  /**
   * Starts a varint-delimited message (first thing after a finish). Its length goes *in front of* where
   * the message starts, into up to 5 bytes reserved here, so the outermost
   * length never moves the message (unused reserve bytes are just skipped).
   */
  beginDelimited(): number {
    this.ensure(5);
    this.pos += 5;
    return this.pos - this.start;
  }

  /** Finishes a message begun with beginDelimited: [length][message], as one view. */
  finishDelimited(rel: number): Buffer {
    const at = this.start + rel;
    const len = this.pos - at;
    const buf = this.buf;
    let p = at - varintSize(len);
    const first = p;
    let v = len;
    while (v > 0x7f) {
      buf[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[p] = v;
    this.start = first;
    return this.finish();
  }

  /** Drops a message left unfinished (an encode that threw). */
  abandon(): void {
    this.pos = this.start;
    if (this.buf.length > this.slab) this.fresh();
  }

  private fresh(): void {
    this.buf = Buffer.allocUnsafeSlow(this.slab);
    this.start = 0;
    this.pos = 0;
  }
}
