// The one catalogue of codes Tributary speaks: reply errors, disconnects and
// server unsubscribes, with the exact messages Centrifugo clients expect.
// Everything that sends a code takes it from here.

export interface ProtocolError {
  code: number;
  message: string;
  temporary?: boolean;
}

function err(code: number, message: string, temporary = false): ProtocolError {
  return temporary ? { code, message, temporary } : { code, message };
}

/** Reply error codes of the client protocol and the server API. */
export const Errors = {
  internal: err(100, 'internal server error', true),
  unauthorized: err(101, 'unauthorized'),
  unknownChannel: err(102, 'unknown channel'),
  permissionDenied: err(103, 'permission denied'),
  methodNotFound: err(104, 'method not found'),
  alreadySubscribed: err(105, 'already subscribed'),
  limitExceeded: err(106, 'limit exceeded'),
  badRequest: err(107, 'bad request'),
  notAvailable: err(108, 'not available'),
  tokenExpired: err(109, 'token expired'),
  expired: err(110, 'expired'),
  tooManyRequests: err(111, 'too many requests', true),
  unrecoverablePosition: err(112, 'unrecoverable position'),
} as const;

/** The server API names code 104 differently from the client protocol. */
export const ApiErrors = {
  internal: { code: 100, message: 'internal server error' },
  unknownChannel: { code: 102, message: 'unknown channel' },
  notFound: { code: 104, message: 'not found' },
  badRequest: { code: 107, message: 'bad request' },
  notAvailable: { code: 108, message: 'not available' },
  unrecoverablePosition: { code: 112, message: 'unrecoverable position' },
  conflict: { code: 113, message: 'conflict' },
} as const;

export interface Disconnect {
  code: number;
  reason: string;
}

function dc(code: number, reason: string): Disconnect {
  return { code, reason };
}

/**
 * Disconnect codes. 3000–3499 let the SDK reconnect, 3500–3999 are terminal.
 * Reasons are plain words on purpose: the SDK tries JSON.parse on a close
 * reason first, so a reason must never be valid JSON.
 */
export const Disconnects = {
  connectionClosed: dc(3000, 'connection closed'),
  shutdown: dc(3001, 'shutdown'),
  internal: dc(3004, 'internal server error'),
  expired: dc(3005, 'connection expired'),
  subscriptionExpired: dc(3006, 'subscription expired'),
  slow: dc(3008, 'slow'),
  writeError: dc(3009, 'write error'),
  insufficientState: dc(3010, 'insufficient state'),
  forceReconnect: dc(3011, 'force reconnect'),
  noPong: dc(3012, 'no pong'),
  tooManyRequests: dc(3013, 'too many requests'),
  stateInvalidated: dc(3014, 'state invalidated'),
  invalidToken: dc(3500, 'invalid token'),
  badRequest: dc(3501, 'bad request'),
  stale: dc(3502, 'stale'),
  forceNoReconnect: dc(3503, 'force disconnect'),
  connectionLimit: dc(3504, 'connection limit'),
  channelLimit: dc(3505, 'channel limit'),
  inappropriateProtocol: dc(3506, 'inappropriate protocol'),
  permissionDenied: dc(3507, 'permission denied'),
  notAvailable: dc(3508, 'not available'),
  tooManyErrors: dc(3509, 'too many errors'),
} as const;

/** WebSocket close code for an inbound message over the size limit. */
export const WS_CLOSE_MESSAGE_TOO_BIG = 1009;

export interface Unsubscribe {
  code: number;
  reason: string;
}

/** Server-initiated unsubscribe push codes. >= 2500 tells the SDK to resubscribe. */
export const Unsubscribes = {
  server: { code: 2000, reason: 'server unsubscribe' },
  insufficientState: { code: 2500, reason: 'insufficient state' },
  expired: { code: 2501, reason: 'subscription expired' },
  stateInvalidated: { code: 2502, reason: 'state invalidated' },
} as const;

/** True when the SDK will not reconnect after this disconnect code. */
export function isTerminalDisconnect(code: number): boolean {
  return (code >= 3500 && code <= 3999) || (code >= 4500 && code <= 4999);
}

/** An error that carries a protocol error to the reply of the command that raised it. */
export class ReplyError extends Error {
  constructor(readonly error: ProtocolError) {
    super(error.message);
    this.name = 'ReplyError';
  }
}

/** An error that must end the connection with the given disconnect. */
export class DisconnectError extends Error {
  constructor(readonly disconnect: Disconnect) {
    super(disconnect.reason);
    this.name = 'DisconnectError';
  }
}
