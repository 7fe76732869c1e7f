// Failed admin logins, per client address: after MAX_FAILURES failures within
// WINDOW_MS an address is refused (429) until the oldest of them leaves the
// window. A success forgets the address. Bounded: at most MAX_ADDRESSES are
// remembered, the longest-unseen forgotten first, so a spray of addresses
// cannot grow memory.

const MAX_FAILURES = 5;
const WINDOW_MS = 60_000;
const MAX_ADDRESSES = 10_000;

export class LoginThrottle {
  /** Failure times (ms) per address, oldest first; Map order is least recently failed first. */
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly maxFailures = MAX_FAILURES,
    private readonly windowMs = WINDOW_MS,
  ) {}

  /** Milliseconds until `address` may try again; 0 when it may now. */
  retryAfter(address: string, now = Date.now()): number {
    const times = this.recent(address, now);
    if (times.length < this.maxFailures) return 0;
    return Math.max(1, times[times.length - this.maxFailures]! + this.windowMs - now);
  }

  failed(address: string, now = Date.now()): void {
    const times = this.recent(address, now);
    times.push(now);
    this.failures.delete(address);
    this.failures.set(address, times.slice(-this.maxFailures));
    if (this.failures.size > MAX_ADDRESSES) this.failures.delete(this.failures.keys().next().value!);
  }

  succeeded(address: string): void {
    this.failures.delete(address);
  }

  private recent(address: string, now: number): number[] {
    const times = this.failures.get(address);
    if (!times) return [];
    const kept = times.filter((t) => t > now - this.windowMs);
    if (kept.length === 0) this.failures.delete(address);
    return kept;
  }
}
