// What a fuzz target is: one decoder family of the server, its valid samples,
// how its input is mutated, and which failures are its documented answer to
// bad input. Anything else it throws is a crash; an input it takes too long
// on is a hang (run-target.ts decides both).

import type { Rng } from './random.js';

/**
 * One input. `variant` is the part of the input that is not bytes: the API
 * method a body is posted to, the record headers a Kafka value arrives with,
 * the file name a config is read as. Targets without one use ''.
 */
export interface FuzzCase {
  variant: string;
  data: Buffer;
}

/** How a seed's bytes are understood when mutating them (mutate.ts). */
export type InputFormat = 'json' | 'protobuf' | 'protobuf-delimited' | 'text';

/** A mutation of the target's own (e.g. the text header in front of a Redis payload). */
export type Mutator = (data: Buffer, rng: Rng) => Buffer;

export interface FuzzTarget {
  name: string;
  /** One line for --list. */
  description: string;
  format: InputFormat;
  /** Valid inputs; mutations start from them. */
  seeds: readonly FuzzCase[];
  /** Every variant the target knows; a seed is now and then sent with another one. */
  variants?: readonly string[];
  /** Extra mutations, picked as often as the format's own. */
  mutators?: readonly Mutator[];
  /** Decodes the input through the server's own entry point. May return a promise. */
  run(input: FuzzCase): unknown;
  /** Whether a thrown value is the decoder's documented way of refusing input. */
  expected(err: unknown): boolean;
  /** Rough cost of an input relative to the others (default 1): the CLI starts the costly targets first. */
  weight?: number;
}

/** Thrown by a target when a decoder accepted input but returned something its callers cannot use. */
export class WrongResult extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WrongResult';
  }
}

export function check(ok: boolean, what: string): void {
  if (!ok) throw new WrongResult(what);
}

export const seed = (data: string | Buffer, variant = ''): FuzzCase => ({ variant, data: typeof data === 'string' ? Buffer.from(data, 'utf8') : data });

export const jsonSeed = (value: unknown, variant = ''): FuzzCase => seed(JSON.stringify(value), variant);
