// What a client session needs from the socket it lives on. The interface
// belongs to its user, the session: transports/ implement it, so client/ never
// depends on any transport.

export interface Transport {
  /** 'websocket', later 'sse', 'http_stream', 'uni_websocket'... */
  readonly name: string;
  readonly protocol: 'json' | 'protobuf';
  /** Bytes handed to the socket but not yet written to the kernel. */
  bufferedAmount(): number;
  /** Writes one transport message (several protocol messages already joined). */
  write(message: string | Buffer): void;
  /** Stops and restarts reading from the peer (inbound backpressure). */
  pauseReading(): void;
  resumeReading(): void;
  /** Ends the connection, telling the peer why when the transport can. */
  close(code: number, reason: string): void;
}
