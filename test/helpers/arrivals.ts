// Waiting for something a raw test client receives: the client calls wake()
// whenever data or a close arrives, and until() re-checks its condition then,
// instead of polling.

export class Arrivals {
  private waiters: Array<() => void> = [];

  wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves once `pred` holds; after `ms` fails with `what` and what `got()` describes. */
  async until(pred: () => boolean, ms: number, what: string, got: () => string): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pred()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; got ${got()}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
}
