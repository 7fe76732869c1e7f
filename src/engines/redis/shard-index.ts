// Which shard a channel lives on: Jump Consistent Hash (Lamping & Veach) of
// the channel's 64-bit FNV-1a hash, as Centrifugo does, so a Tributary node and
// a Go node agree on where a channel's keys are. Adding a shard moves only
// about 1/n of the channels.

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK64 = 0xffffffffffffffffn;
const JUMP_MULT = 2862933555777941757n;

export function fnv1a64(input: string): bigint {
  let h = FNV_OFFSET;
  for (const byte of Buffer.from(input, 'utf8')) {
    h ^= BigInt(byte);
    h = (h * FNV_PRIME) & MASK64;
  }
  return h;
}

export function jumpConsistentHash(key: bigint, buckets: number): number {
  let b = -1;
  let j = 0;
  let k = key;
  while (j < buckets) {
    b = j;
    k = (k * JUMP_MULT + 1n) & MASK64;
    j = Math.floor(((b + 1) * 2 ** 31) / Number((k >> 33n) + 1n));
  }
  return b;
}

export function shardIndex(channel: string, shards: number): number {
  return shards <= 1 ? 0 : jumpConsistentHash(fnv1a64(channel), shards);
}
