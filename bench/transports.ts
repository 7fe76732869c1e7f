// The client transports the subscriber processes can use (--transport), with
// what each needs from the generator: where it connects, how the connect
// request travels, how messages are framed, and how a server ping is answered.

export type TransportName = 'websocket' | 'http_stream' | 'sse' | 'uni_websocket' | 'uni_http_stream' | 'uni_sse';

/** How a streaming HTTP response separates messages. */
export type Framing = 'lines' | 'sse';

export interface TransportSpec {
  name: TransportName;
  /** Centrifugo's default path of the endpoint. */
  path: string;
  /** websocket: commands over the socket; http: one streaming request; uni: a connect request, then pushes only. */
  kind: 'websocket' | 'emulation' | 'uni_websocket' | 'uni_http';
  /** Streaming responses only. */
  framing?: Framing;
  /** Streaming responses only: GET carries the connect request in cf_connect, as EventSource must. */
  method?: 'GET' | 'POST';
}

export const TRANSPORTS: Record<TransportName, TransportSpec> = {
  websocket: { name: 'websocket', path: '/connection/websocket', kind: 'websocket' },
  http_stream: { name: 'http_stream', path: '/connection/http_stream', kind: 'emulation', framing: 'lines', method: 'POST' },
  sse: { name: 'sse', path: '/connection/sse', kind: 'emulation', framing: 'sse', method: 'GET' },
  uni_websocket: { name: 'uni_websocket', path: '/connection/uni_websocket', kind: 'uni_websocket' },
  uni_http_stream: { name: 'uni_http_stream', path: '/connection/uni_http_stream', kind: 'uni_http', framing: 'lines', method: 'POST' },
  uni_sse: { name: 'uni_sse', path: '/connection/uni_sse', kind: 'uni_http', framing: 'sse', method: 'GET' },
};

export const EMULATION_PATH = '/emulation';

export function isTransportName(s: string): s is TransportName {
  return Object.hasOwn(TRANSPORTS, s);
}

/** The server config that serves every transport at its default path (merged into the generated Tributary config). */
export const ALL_TRANSPORTS_CONFIG: Record<string, unknown> = {
  http_stream: { enabled: true },
  sse: { enabled: true },
  uni_websocket: { enabled: true },
  uni_http_stream: { enabled: true },
  uni_sse: { enabled: true },
};

/**
 * The URL of `transport` on the node whose WebSocket URL is `wsUrl`: same host
 * and port, the transport's default path (http for the streaming ones).
 */
export function transportUrl(wsUrl: string, transport: TransportSpec): URL {
  const u = new URL(wsUrl);
  const secure = u.protocol === 'wss:' || u.protocol === 'https:';
  const streaming = transport.kind === 'emulation' || transport.kind === 'uni_http';
  u.protocol = streaming ? (secure ? 'https:' : 'http:') : secure ? 'wss:' : 'ws:';
  if (transport.kind !== 'websocket') u.pathname = transport.path;
  return u;
}
