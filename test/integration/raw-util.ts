// Shared bits of the raw-frame integration tests (test/integration/raw-*.test.ts):
// a pool that closes every client it opened, and connect shortcuts.

import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { RawClient } from '../helpers/raw-ws.js';
import { token, type TestServer } from '../helpers/server.js';

export { sleep };

/** Opens raw clients and closes all of them in an after hook. */
export class ClientPool {
  private readonly clients: RawClient[] = [];

  async open(url: string, opts: { origin?: string; headers?: Record<string, string> } = {}): Promise<RawClient> {
    const c = await RawClient.open(url, opts);
    this.clients.push(c);
    return c;
  }

  /** Opens a client and completes the connect handshake as `user` (token with `claims`). */
  async connect(ts: TestServer, user = 'u1', claims: Record<string, unknown> = {}): Promise<{ c: RawClient; client: string }> {
    const c = await this.open(ts.wsUrl);
    c.send({ id: 1, connect: { token: await token(user, claims), name: 'raw-test' } });
    const r = await c.waitReply(1);
    assert.ok(r.connect, `connect failed: ${JSON.stringify(r)}`);
    return { c, client: r.connect.client as string };
  }

  closeAll(): void {
    for (const c of this.clients.splice(0)) c.terminate();
  }
}

/** Sends `cmd` with `id` and waits for its reply. */
export async function call(c: RawClient, id: number, cmd: Record<string, unknown>): Promise<any> {
  c.send({ id, ...cmd });
  return c.waitReply(id);
}

/** Asserts the reply is the error `code`. */
export function assertError(reply: any, code: number): void {
  assert.ok(reply.error, `expected error ${code}, got ${JSON.stringify(reply)}`);
  assert.equal(reply.error.code, code, JSON.stringify(reply));
}

/**
 * Asserts `c` receives nothing more and stays open for `ms`: used to check that
 * a bad input did not close a connection and that the server went on serving it.
 */
export async function assertStillOpen(c: RawClient, nextId: number): Promise<void> {
  const r = await call(c, nextId, { unsubscribe: { channel: 'still-open-probe' } });
  assert.deepEqual(r, { id: nextId, unsubscribe: {} });
  assert.equal(c.closeCode, null);
}

/** Sends `frame` to a fresh connected-or-not client and returns its close code. */
export async function closeCodeAfter(c: RawClient, frame: string | Buffer | object, ms = 3000): Promise<number> {
  c.send(frame);
  return c.waitClose(ms);
}
