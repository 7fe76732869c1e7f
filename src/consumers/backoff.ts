// Retry backoff shared by the consumers, with Centrifugo's numbers
// (internal/consuming/backoff.go): 10 ms base doubled per retry with up to
// 10 ms of jitter, capped at 5 s. The first wait is 20–38 ms.

const MIN_MS = 10;
const MAX_MS = 5000;

export class Backoff {
  private retries = 0;
  private current = 0;

  /** The next wait in ms; each call counts one more retry. */
  next(): number {
    this.retries++;
    if (this.current >= MAX_MS) return MAX_MS;
    const jitter = Math.floor(Math.random() * 10);
    this.current = Math.min(MAX_MS, (MIN_MS + jitter) * 2 ** this.retries);
    return this.current;
  }

  reset(): void {
    this.retries = 0;
    this.current = 0;
  }

  get failures(): number {
    return this.retries;
  }
}
