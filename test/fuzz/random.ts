// The fuzzer's randomness. Every input gets a generator of its own, seeded
// from (run seed, target name, input index): input 123456 of a target is the
// same bytes whatever ran before it, so a run can be resumed after a worker
// was killed on a hang, and any input can be rebuilt from its index alone.

/** 32-bit FNV-1a of a string: the target name's part of the seed. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** splitmix32-style finaliser: spreads nearby indexes over the whole state space. */
function mix(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** sfc32: small, fast, and good enough for picking mutations. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d = 1;

  constructor(seed: number, target: string, index: number) {
    this.a = mix(seed ^ 0x9e3779b9);
    this.b = mix(hashString(target) ^ this.a);
    this.c = mix(index ^ this.b);
    for (let i = 0; i < 12; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** In [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** Mostly small, now and then large: lengths, counts and depths that find both kinds of bug, at a cost a million inputs can pay. */
  size(max: number): number {
    const r = this.float();
    if (r < 0.7) return this.int(Math.min(max, 16) + 1);
    if (r < 0.98) return this.int(Math.min(max, 256) + 1);
    return this.int(max + 1);
  }

  bytes(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) out[i] = this.u32() & 0xff;
    return out;
  }
}
