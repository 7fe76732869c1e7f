// Stream epochs name one generation of a channel's history. Clients compare
// them to detect that the stream they were positioned in is gone, so a new
// epoch must practically never repeat an old one: 52^8 ≈ 5e13 values from a
// CSPRNG. Same alphabet and length as Centrifugo, so epochs look alike on the wire.

import { randomBytes } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const EPOCH_LENGTH = 8;
// Largest multiple of 52 that fits in a byte: bytes at or above it are
// rejected so every letter is equally likely (no modulo bias).
const ACCEPT_BELOW = 256 - (256 % ALPHABET.length);

// Random bytes are drawn from the CSPRNG in blocks: a call per epoch costs
// more than the rest of a Redis publish (the script needs a candidate epoch on
// every call, in case the stream is new).
const POOL_SIZE = 4096;
let pool = randomBytes(POOL_SIZE);
let used = 0;

function nextByte(): number {
  if (used === POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    used = 0;
  }
  return pool[used++]!;
}

/** A random 8-letter [a-zA-Z] epoch. Never empty, never "_". */
export function generateEpoch(): string {
  let epoch = '';
  while (epoch.length < EPOCH_LENGTH) {
    const b = nextByte();
    if (b < ACCEPT_BELOW) epoch += ALPHABET[b % ALPHABET.length];
  }
  return epoch;
}
