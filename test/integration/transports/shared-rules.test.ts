// What every transport shares with WebSocket: the SDK falls back from an
// unavailable WebSocket to http_stream or sse (and the sent-message metrics
// carry that transport's label); the connection limit refuses
// (503) whatever the transport; a stream client that stops reading is
// disconnected as slow (3008) while the others keep receiving.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Centrifuge } from 'centrifuge';
import { EventSource } from 'eventsource';
import { WebSocket } from 'ws';
import { RawStream } from '../../helpers/raw-stream.js';
import { once, waitFor } from '../../helpers/sdk.js';
import { startServer, token } from '../../helpers/server.js';

describe('transport fallback', () => {
  for (const fallback of ['http_stream', 'sse'] as const) {
    it(`the SDK falls back from a refused WebSocket to ${fallback}`, async () => {
      const ts = await startServer({ websocket: { disabled: true } });
      const c = new Centrifuge(
        [
          { transport: 'websocket', endpoint: ts.wsUrl },
          { transport: fallback, endpoint: `${ts.httpUrl}/connection/${fallback}` },
        ],
        {
          token: await token('u'),
          websocket: WebSocket,
          emulationEndpoint: `${ts.httpUrl}/emulation`,
          fetch,
          readableStream: ReadableStream,
          eventsource: EventSource,
        } as never,
      );
      try {
        c.connect();
        const ctx = await once(c, 'connected', 8000);
        assert.equal(ctx.transport, fallback);
        // The metrics say which transport carried the messages: the connect reply went out over the fallback.
        const metrics = await (await fetch(`${ts.httpUrl}/metrics`)).text();
        assert.match(metrics, new RegExp(`centrifugo_transport_messages_sent\\{transport="${fallback}",frame_type="\\w+"\\} [1-9]`));
        assert.doesNotMatch(metrics, /centrifugo_transport_messages_sent\{transport="websocket"/);
        if (fallback === 'http_stream') {
          // Commands after the connect come through the emulation endpoint: counted as received on the stream's transport.
          c.newSubscription('fallback').subscribe(); // allowed or not, the command arrives
          const received = /centrifugo_transport_messages_received\{transport="http_stream",frame_type="text"\} [1-9]/;
          const deadline = Date.now() + 5000;
          while (!received.test(await (await fetch(`${ts.httpUrl}/metrics`)).text())) {
            if (Date.now() > deadline) assert.fail('the emulation request was not counted as received on http_stream');
            await new Promise((r) => setTimeout(r, 50));
          }
        }
      } finally {
        c.disconnect();
        await ts.stop();
      }
    });
  }
});

describe('connection limits apply to every transport', () => {
  it('client.connection_limit refuses further http_stream, sse, uni_http_stream and uni_sse connections with 503', async () => {
    const ts = await startServer({ client: { connection_limit: 1 }, uni_http_stream: { enabled: true }, uni_sse: { enabled: true } });
    const first = await RawStream.open(`${ts.httpUrl}/connection/http_stream`, { body: JSON.stringify({ id: 1, connect: { token: await token('a') } }) });
    try {
      await first.wait((m) => m.id === 1);
      const body = JSON.stringify({ id: 1, connect: { token: await token('b') } });
      for (const path of ['/connection/http_stream', '/connection/sse', '/connection/uni_http_stream', '/connection/uni_sse']) {
        const uni = path.includes('uni_');
        const res = await fetch(`${ts.httpUrl}${path}`, { method: 'POST', body: uni ? JSON.stringify({ token: await token('b') }) : body });
        assert.equal(res.status, 503, path);
      }
      const metrics = await (await fetch(`${ts.httpUrl}/metrics`)).text();
      assert.match(metrics, /centrifugo_node_client_connection_limit 4/);
    } finally {
      first.close();
      await ts.stop();
    }
  });
});

describe('slow stream clients', () => {
  it('an http_stream client that stops reading is disconnected with 3008; the others keep receiving', async () => {
    const ts = await startServer({ client: { queue_max_size: 64 * 1024 }, channel: { without_namespace: { allow_subscribe_for_client: true } } });
    const open = async (user: string) =>
      RawStream.open(`${ts.httpUrl}/connection/http_stream`, {
        body: JSON.stringify({ id: 1, connect: { token: await token(user, { channels: ['firehose'] }) } }),
      });
    const slow = await open('slow');
    const fast = await open('fast');
    try {
      await slow.wait((m) => m.id === 1);
      await fast.wait((m) => m.id === 1);
      slow.pauseReading();
      const payload = { blob: 'x'.repeat(32 * 1024) };
      for (let i = 0; i < 400; i++) await ts.api('publish', { channel: 'firehose', data: payload });
      await waitFor(() => fast.messages.filter((m) => m.push?.pub).length === 400, 10_000, 'fast client got everything');
      const metrics = await (await fetch(`${ts.httpUrl}/metrics`)).text();
      assert.match(metrics, /centrifugo_client_num_server_disconnects\{code="3008"\} 1/);
      assert.equal((await ts.api('info', {})).json.result.nodes[0].num_clients, 1);
    } finally {
      slow.close();
      fast.close();
      await ts.stop();
    }
  });
});
