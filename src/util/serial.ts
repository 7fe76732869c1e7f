// Runs async steps one after another, in the order they were asked for. A
// component whose start and close may be called concurrently (a failed start
// closing while the server's shutdown closes too) puts both through one Serial,
// so each sees the state the previous step left and a hold is never taken or
// given back twice.

export class Serial {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(step: () => Promise<T>): Promise<T> {
    const result = this.tail.then(step);
    // The next step waits for this one whether it succeeds or fails.
    this.tail = result.catch(() => undefined);
    return result;
  }
}
