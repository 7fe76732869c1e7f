// What a client session needs from the connection it lives on. The interface
// belongs to its user, the session: transports/ implement it, so client/ never
// depends on any transport.

import type { Frame, ProtocolName } from '../protocol/codec.js';

/**
 * - bidirectional: commands arrive on the connection itself (WebSocket);
 * - emulation: the connection only streams to the client; its commands arrive
 *   through the emulation endpoint, addressed by session id and node id, which
 *   the connect result tells the client (HTTP-streaming, SSE);
 * - unidirectional: one connect request, then pushes only, in the bare Push
 *   format (uni_websocket, uni_sse, uni_http_stream).
 */
export type TransportMode = 'bidirectional' | 'emulation' | 'unidirectional';

export interface Transport {
  /** The metrics' `transport` label: 'websocket', 'http_stream', 'sse', 'uni_websocket'... */
  readonly name: string;
  readonly protocol: ProtocolName;
  readonly mode: TransportMode;
  /**
   * Whether the session sends a disconnect push before closing. Transports
   * whose close carries a code (a WebSocket close frame) need none; the HTTP
   * ones only have the stream to say why.
   */
  readonly disconnectPush: boolean;
  /** A connection that takes no write for this long is dead (3009); unset: websocket.write_timeout. */
  readonly writeTimeoutMs?: number;
  /** Bytes handed to the connection but not yet written to the kernel. */
  bufferedAmount(): number;
  /** Writes one transport message (several protocol messages already joined by the codec). */
  write(message: Frame): void;
  /**
   * Writes several protocol messages at once when the transport frames each
   * itself (an SSE event each, a WebSocket frame each); without it the writer
   * joins them with the codec's join and calls write().
   */
  writeMany?(messages: Frame[]): void;
  /** Stops and restarts reading from the peer (inbound backpressure). */
  pauseReading(): void;
  resumeReading(): void;
  /** Ends the connection, telling the peer why when the transport can. */
  close(code: number, reason: string): void;
}
