// Node-wide connection caps at the handshake (server-api.md §7): refused with 503.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RawClient } from '../helpers/raw-ws.js';
import { startServer } from '../helpers/server.js';

describe('connection caps', () => {
  it('refuses handshakes over client.connection_limit with 503 and counts them', async () => {
    const ts = await startServer({ client: { connection_limit: 2 } });
    try {
      const a = await RawClient.open(ts.wsUrl);
      const b = await RawClient.open(ts.wsUrl);
      await assert.rejects(RawClient.open(ts.wsUrl), /HTTP 503/);
      a.terminate();
      await new Promise((r) => setTimeout(r, 100));
      const c = await RawClient.open(ts.wsUrl);
      const metrics = await (await fetch(`${ts.httpUrl}/metrics`)).text();
      assert.match(metrics, /centrifugo_node_client_connection_limit 1/);
      b.close();
      c.close();
    } finally {
      await ts.stop();
    }
  });

  it('refuses handshakes over client.connection_rate_limit per second', async () => {
    const ts = await startServer({ client: { connection_rate_limit: 2 } });
    try {
      const a = await RawClient.open(ts.wsUrl);
      const b = await RawClient.open(ts.wsUrl);
      await assert.rejects(RawClient.open(ts.wsUrl), /HTTP 503/);
      await new Promise((r) => setTimeout(r, 600));
      const c = await RawClient.open(ts.wsUrl);
      for (const x of [a, b, c]) x.close();
    } finally {
      await ts.stop();
    }
  });
});
