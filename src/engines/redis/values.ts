// Conversions between what the broker and the presence manager hold and what
// Redis takes or returns.

/** Redis TTLs are whole seconds; never round a positive TTL down to "no TTL". */
export function seconds(ms: number): number {
  return ms <= 0 ? 0 : Math.max(1, Math.ceil(ms / 1000));
}

/** A reply element (Buffer when asked for buffers) as a string. */
export function text(v: unknown): string {
  return Buffer.isBuffer(v) ? v.toString() : String(v ?? '');
}
