// Structure-aware mutation of protobuf inputs. A message is read into its
// fields (number, wire type, bytes) without a schema; a length-delimited field
// that itself reads as a message is mutated inside, so garbage reaches nested
// decoders too. What is aimed at: varints that overflow or never end, wire
// types a field does not have, lengths past the end, groups, odd field numbers.

import type { Rng } from './random.js';
import { mutateBytes } from './mutate-bytes.js';

interface PbField {
  no: number;
  wt: number;
  /** VARINT: the varint's bytes; I64/I32: the fixed bytes; LEN: the content. Groups: empty. */
  value: Buffer;
  /** A length to write instead of the content's (a lie). */
  claimedLength?: number;
}

function readVarint(buf: Buffer, pos: number): [number, number] | null {
  let v = 0;
  for (let shift = 0; shift < 35 && pos < buf.length; shift += 7) {
    const b = buf[pos++]!;
    v += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return [v, pos];
  }
  return null;
}

export function writeVarint(v: number): Buffer {
  const out: number[] = [];
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Buffer.from(out);
}

/** The fields of `buf`, or null when it does not read as a message. */
export function readFields(buf: Buffer): PbField[] | null {
  const fields: PbField[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const tag = readVarint(buf, pos);
    if (!tag) return null;
    const no = Math.floor(tag[0] / 8);
    const wt = tag[0] % 8;
    pos = tag[1];
    if (no === 0) return null;
    if (wt === 0) {
      const start = pos;
      while (pos < buf.length && buf[pos]! >= 0x80) pos++;
      if (pos >= buf.length || pos - start > 9) return null;
      fields.push({ no, wt, value: buf.subarray(start, ++pos) });
    } else if (wt === 1 || wt === 5) {
      const n = wt === 1 ? 8 : 4;
      if (pos + n > buf.length) return null;
      fields.push({ no, wt, value: buf.subarray(pos, (pos += n)) });
    } else if (wt === 2) {
      const len = readVarint(buf, pos);
      if (!len || len[1] + len[0] > buf.length) return null;
      fields.push({ no, wt, value: buf.subarray(len[1], (pos = len[1] + len[0])) });
    } else if (wt === 3 || wt === 4) {
      fields.push({ no, wt, value: Buffer.alloc(0) });
    } else return null;
  }
  return fields;
}

export function writeFields(fields: readonly PbField[]): Buffer {
  const parts: Buffer[] = [];
  for (const f of fields) {
    parts.push(writeVarint(f.no * 8 + f.wt));
    if (f.wt === 2) parts.push(writeVarint(f.claimedLength ?? f.value.length));
    parts.push(f.value);
  }
  return Buffer.concat(parts);
}

/** Varints a decoder has to refuse or clamp: 64-bit edges, 10-byte negatives, overlong and endless ones. */
const ODD_VARINTS: readonly Buffer[] = [
  writeVarint(0),
  writeVarint(1),
  writeVarint(2 ** 31),
  writeVarint(2 ** 32),
  writeVarint(2 ** 53),
  writeVarint(2 ** 53 + 2),
  Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), // 2^64-1, or -1 as int64
  Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), // 2^63
  Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]), // past 64 bits
  Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]), // 11 bytes
  Buffer.from([0x81, 0x80, 0x80, 0x80, 0x00]), // overlong 1
  Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]),
];

const ODD_FIELD_NUMBERS = [1, 2, 3, 4, 5, 15, 16, 19_000, 19_999, 2 ** 29 - 1];

function randomField(rng: Rng): PbField {
  const wt = rng.int(8);
  const no = rng.chance(0.7) ? 1 + rng.int(20) : rng.pick(ODD_FIELD_NUMBERS);
  const value = wt === 0 ? rng.pick(ODD_VARINTS) : wt === 1 ? rng.bytes(8) : wt === 5 ? rng.bytes(4) : wt === 2 ? rng.bytes(rng.size(64)) : Buffer.alloc(0);
  return { no, wt, value };
}

function mutateField(f: PbField, rng: Rng, depth: number): PbField {
  switch (rng.int(6)) {
    case 0:
      if (f.wt === 2) {
        // Nested: a message inside is mutated as a message; other bytes as bytes.
        const inner = depth < 8 ? mutateMessage(f.value, rng, depth + 1) : null;
        return { ...f, value: inner ?? mutateBytes(f.value, rng) };
      }
      return { ...f, value: rng.pick(ODD_VARINTS) };
    case 1:
      return { ...f, wt: rng.int(8) }; // the wrong wire type for the field
    case 2:
      // A length past the end (or short of it).
      return {
        ...f,
        wt: 2,
        claimedLength: rng.pick([f.value.length + 1, f.value.length + 1 + rng.size(1000), 2 ** 31 - 1, 2 ** 32 + 3, Math.max(0, f.value.length - 1)]),
      };
    case 3:
      return { ...f, wt: 2, value: rng.bytes(rng.size(256)) }; // nested garbage
    case 4:
      return { ...f, no: rng.pick(ODD_FIELD_NUMBERS) };
    default:
      return f.wt === 0 ? { ...f, value: rng.pick(ODD_VARINTS) } : { ...f, value: mutateBytes(f.value, rng) };
  }
}

/** One mutation somewhere in the message; null when `buf` is not a message. */
export function mutateMessage(buf: Buffer, rng: Rng, depth = 0): Buffer | null {
  const fields = readFields(buf);
  if (!fields) return null;
  const i = rng.int(fields.length);
  const has = fields.length > 0;
  switch (rng.int(7)) {
    case 0:
    case 1:
      if (has) fields[i] = mutateField(fields[i]!, rng, depth);
      else fields.push(randomField(rng));
      break;
    case 2:
      if (has) fields.splice(i, 1);
      break;
    case 3:
      // A repeated field or a last-one-wins scalar, sometimes many times.
      if (has) fields.splice(i, 0, ...Array(1 + rng.size(50)).fill(fields[i]!));
      break;
    case 4:
      fields.splice(rng.int(fields.length + 1), 0, randomField(rng));
      break;
    case 5:
      // An unbalanced group: decoders that skip groups must find the end, or say there is none.
      fields.splice(rng.int(fields.length + 1), 0, { no: 1 + rng.int(20), wt: rng.chance(0.5) ? 3 : 4, value: Buffer.alloc(0) });
      break;
    default: {
      const out = writeFields(fields);
      return out.subarray(0, rng.int(out.length + 1)); // truncated
    }
  }
  return writeFields(fields);
}

/** Messages each behind their varint length, as the client protocol frames them. */
export function mutateDelimited(frame: Buffer, rng: Rng): Buffer | null {
  const messages: Buffer[] = [];
  let pos = 0;
  while (pos < frame.length) {
    const len = readVarint(frame, pos);
    if (!len || len[1] + len[0] > frame.length) return null;
    messages.push(frame.subarray(len[1], (pos = len[1] + len[0])));
  }
  const i = rng.int(messages.length);
  const prefixes = messages.map((m) => writeVarint(m.length));
  switch (rng.int(5)) {
    case 0:
    case 1: {
      if (messages.length === 0) return null;
      const m = mutateMessage(messages[i]!, rng) ?? mutateBytes(messages[i]!, rng);
      messages[i] = m;
      prefixes[i] = writeVarint(m.length);
      break;
    }
    case 2:
      // A length prefix that lies, or never ends.
      if (messages.length === 0) return null;
      prefixes[i] = rng.chance(0.7) ? writeVarint(messages[i]!.length + (rng.chance(0.5) ? 1 : -1) * (1 + rng.size(100))) : rng.pick(ODD_VARINTS);
      break;
    case 3:
      messages.splice(i, 0, Buffer.alloc(0)); // an empty message: a pong
      prefixes.splice(i, 0, Buffer.from([0]));
      break;
    default:
      if (messages.length > 0) {
        messages.splice(i, 1);
        prefixes.splice(i, 1);
      }
  }
  return Buffer.concat(messages.flatMap((m, k) => [prefixes[k]!, m]));
}
