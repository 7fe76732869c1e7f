// What the bench's command line shares between scenarios: the error that
// prints the usage, and reading a numeric flag.

/** A mistake in the command line: reported with the usage text, exit code 2. */
export class UsageError extends Error {}

/** The flag `key` as a number of at least `min`, or `fallback` when absent. */
export function num(values: Record<string, unknown>, key: string, fallback: number, min = 0): number {
  const raw = values[key];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) throw new UsageError(`--${key}: expected a number >= ${min}, got ${String(raw)}`);
  return n;
}
