// What the GRPC API writes on an HTTP/2 stream: messages with GRPC's 5-byte
// prefix (compressed flag, length), status codes (the ones the API answers
// with), and a failed call's answer: the status, its message, and optionally a
// google.rpc.Status for the grpc-status-details-bin trailer.

export const GrpcStatus = {
  OK: 0,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  RESOURCE_EXHAUSTED: 8,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAUTHENTICATED: 16,
} as const;
export type GrpcStatus = (typeof GrpcStatus)[keyof typeof GrpcStatus];

export interface GrpcFailure {
  code: GrpcStatus;
  message: string;
  /** An encoded google.rpc.Status, sent in grpc-status-details-bin. */
  details?: Buffer;
}

/** One uncompressed length-prefixed message. */
export function grpcFrame(message: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(5 + message.length);
  frame[0] = 0;
  frame.writeUInt32BE(message.length, 1);
  message.copy(frame, 5);
  return frame;
}
