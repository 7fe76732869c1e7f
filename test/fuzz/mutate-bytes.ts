// Mutations that know nothing of the input's structure: the last step of
// every format, and the whole story for plain text. They aim at what byte
// decoders trip over: bit flips, cuts, lengths, invalid UTF-8, framing bytes.

import type { Rng } from './random.js';

/** Byte sequences UTF-8 decoders must refuse or replace: overlong, surrogates, past U+10FFFF, cut short. */
export const INVALID_UTF8: readonly Buffer[] = [
  [0xc0, 0x80],
  [0xc1, 0xbf],
  [0xe0, 0x80, 0x80],
  [0xed, 0xa0, 0x80], // U+D800 encoded
  [0xed, 0xbf, 0xbf], // U+DFFF encoded
  [0xf4, 0x90, 0x80, 0x80], // past U+10FFFF
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0xff],
  [0xfe],
  [0x80],
  [0xe2, 0x82], // cut short
  [0xef, 0xbb, 0xbf], // BOM
].map((b) => Buffer.from(b));

/** Bytes with a meaning to some decoder: JSON and framing punctuation, protobuf tags and varint edges. */
const SPECIAL = [0x00, 0x01, 0x08, 0x0a, 0x0d, 0x10, 0x12, 0x1a, 0x22, 0x2c, 0x3a, 0x5b, 0x5c, 0x5d, 0x5f, 0x7b, 0x7d, 0x7f, 0x80, 0xff];

function splice(data: Buffer, at: number, remove: number, insert: Buffer): Buffer {
  return Buffer.concat([data.subarray(0, at), insert, data.subarray(Math.min(data.length, at + remove))]);
}

export function mutateBytes(data: Buffer, rng: Rng): Buffer {
  const at = rng.int(data.length + 1);
  switch (rng.int(12)) {
    case 0: {
      if (data.length === 0) return rng.bytes(1);
      const out = Buffer.from(data);
      const i = Math.min(at, out.length - 1);
      out[i] = out[i]! ^ (1 << rng.int(8));
      return out;
    }
    case 1: {
      if (data.length === 0) return Buffer.from([rng.pick(SPECIAL)]);
      const out = Buffer.from(data);
      out[Math.min(at, out.length - 1)] = rng.chance(0.5) ? rng.pick(SPECIAL) : rng.u32() & 0xff;
      return out;
    }
    case 2:
      return splice(data, at, 0, rng.bytes(1 + rng.size(32)));
    case 3:
      return splice(data, at, 1 + rng.size(16), Buffer.alloc(0));
    case 4:
      return data.subarray(0, at); // truncation
    case 5: {
      // A range repeated: lengths and repeated fields the decoder did not plan for.
      const len = 1 + rng.size(64);
      const piece = data.subarray(at, at + len);
      return splice(data, at, 0, Buffer.concat(Array(1 + rng.size(8)).fill(piece)));
    }
    case 6:
      return splice(data, at, rng.int(2), rng.pick(INVALID_UTF8));
    case 7:
      return splice(data, at, 0, Buffer.from([rng.pick(SPECIAL)]));
    case 8:
      // Two copies on one line or two: frames that hold several messages.
      return Buffer.concat([data, rng.chance(0.5) ? Buffer.from('\n') : Buffer.alloc(0), data]);
    case 9: {
      // A lone surrogate as JSON text would carry it (an escape), and as a JS string turned to bytes.
      const s = rng.pick(['\\ud800', '\\udfff', '\\ud83d', '\\u0000', '\\u2028', '\ud800', '\u0000']);
      return splice(data, at, 0, Buffer.from(s, 'utf8'));
    }
    case 10:
      return splice(data, at, 0, Buffer.alloc(1 + rng.size(4096), rng.pick(SPECIAL)));
    default:
      return Buffer.concat([data, rng.bytes(1 + rng.size(16))]);
  }
}

/** Random bytes, or random text over an alphabet that parses often enough to get somewhere. */
export function randomInput(rng: Rng, alphabet?: string): Buffer {
  const n = rng.size(rng.chance(0.9) ? 128 : 4096);
  if (!alphabet || rng.chance(0.5)) return rng.bytes(n);
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[rng.int(alphabet.length)];
  return Buffer.from(s, 'utf8');
}
