// The unidirectional WebSocket transport (/connection/uni_websocket): the
// connect request comes as JSON in the `cf_connect` query parameter or as the
// first message; after it the client only listens. Pushes go out bare, one
// per frame unless join_push_messages; the server pings with native ping
// frames (and `{}` pushes at client.ping_interval) and drops a peer that
// stops answering them. Anything the client sends after the connect request
// is read and ignored.

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { ClientSession } from '../client/client.js';
import type { SessionContext } from '../client/session-context.js';
import { disconnectForFailure } from '../client/unidirectional.js';
import type { ConnectRequest } from '../protocol/commands.js';
import { Disconnects } from '../protocol/codes.js';
import { decodeJsonConnectRequest } from '../protocol/json/decode.js';
import type { Admission } from './admission.js';
import { WebsocketTransport, closeFrameArgs, rejectUpgrade } from './websocket.js';

/** Native ping cadence when client.ping_interval / pong_timeout are 0 (Centrifugo's defaults). */
const DEFAULT_FRAME_PING_INTERVAL_MS = 25_000;
const DEFAULT_FRAME_PONG_TIMEOUT_MS = 10_000;

export class UniWebsocketEndpoint {
  private readonly wss: WebSocketServer;

  constructor(
    private readonly shared: SessionContext,
    private readonly admission: Admission,
  ) {
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false, // never read (see websocket.ts)
      maxPayload: shared.node.config.uni_websocket.message_size_limit,
      perMessageDeflate: false,
    });
  }

  get path(): string {
    return this.shared.node.config.uni_websocket.handler_prefix;
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): void {
    const text = url.searchParams.get('cf_connect') ?? '';
    let connect: ConnectRequest | undefined;
    if (text !== '') {
      try {
        connect = decodeJsonConnectRequest(text);
      } catch (err) {
        this.shared.node.log.info({ err: (err as Error).message, transport: 'uni_websocket' }, 'error decoding connect request');
        return rejectUpgrade(socket, 400, 'Bad Request', 'invalid connect request\n');
      }
    }
    if (!this.admission.originAllowed(req)) return rejectUpgrade(socket, 403, 'Forbidden');
    if (!this.admission.admit()) return rejectUpgrade(socket, 503, 'Service Unavailable');
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, req, connect));
  }

  private accept(ws: WebSocket, req: IncomingMessage, connect: ConnectRequest | undefined): void {
    const node = this.shared.node;
    const cfg = node.config.uni_websocket;
    const transport = new WebsocketTransport(ws, 'json', {
      name: 'uni_websocket',
      mode: 'unidirectional',
      disconnectPush: !cfg.disable_disconnect_push,
      frameEach: !cfg.join_push_messages,
      noClosingHandshake: cfg.disable_closing_handshake,
      writeTimeoutMs: cfg.write_timeout,
    });
    const client = new ClientSession(this.shared, transport, this.admission.connectionContext(req));
    node.trackConnection(client);
    const stopPings = this.keepAlive(ws);
    ws.on('close', () => {
      stopPings();
      node.untrackConnection(client);
      client.onTransportClosed();
    });
    ws.on('error', (err) => node.log.debug({ err: err.message, client: client.id }, 'uni_websocket error'));
    const start = (request: ConnectRequest) =>
      client.connectUnidirectional(request).then((failure) => {
        if (failure !== null) client.disconnect(disconnectForFailure(failure, node.config.client));
      });
    if (connect !== undefined) {
      void start(connect);
      return;
    }
    ws.once('message', (data: Buffer) => {
      let request: ConnectRequest;
      try {
        request = decodeJsonConnectRequest(data.toString('utf8'));
      } catch (err) {
        node.log.info({ err: (err as Error).message, transport: 'uni_websocket' }, 'error decoding connect request');
        const bad = closeFrameArgs(Disconnects.badRequest.code, Disconnects.badRequest.reason);
        if (cfg.disable_closing_handshake) ws.terminate();
        else ws.close(bad.code, bad.reason);
        return;
      }
      void start(request);
    });
  }

  /** Native pings; a peer that answers none within the pong timeout is dropped. Returns the stopper. */
  private keepAlive(ws: WebSocket): () => void {
    const client = this.shared.node.config.client;
    const interval = client.ping_interval > 0 ? client.ping_interval : DEFAULT_FRAME_PING_INTERVAL_MS;
    const timeout = client.pong_timeout > 0 ? client.pong_timeout : DEFAULT_FRAME_PONG_TIMEOUT_MS;
    let deadline: NodeJS.Timeout | null = null;
    ws.on('pong', () => {
      if (deadline) clearTimeout(deadline);
      deadline = null;
    });
    const timer = setInterval(() => {
      if (ws.readyState !== WebSocket.OPEN) return;
      ws.ping();
      deadline ??= setTimeout(() => ws.terminate(), timeout);
      deadline.unref();
    }, interval);
    timer.unref();
    return () => {
      clearInterval(timer);
      if (deadline) clearTimeout(deadline);
    };
  }

  close(): void {
    this.wss.close();
  }
}
