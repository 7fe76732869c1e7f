// What a failed connect becomes on a unidirectional connection, which has no
// reply to carry an error: a disconnect (Centrifugo's default mapping, or
// client.connect_code_to_unidirectional_disconnect), or, for the HTTP
// transports with connect_code_to_http_response, an HTTP response instead of
// a stream.

import type { ClientConfig } from '../config/schema.js';
import { Disconnects, type Disconnect, type ProtocolError } from '../protocol/codes.js';

/** A connect that failed with a disconnect (e.g. 3500 invalid token) or with an error reply (e.g. 101 unauthorized). */
export type ConnectFailure = { disconnect: Disconnect; error?: undefined } | { error: ProtocolError; disconnect?: undefined };

/** Centrifugo's built-in mapping of connect errors to disconnects; other errors are 3004. */
const DEFAULT_ERROR_TO_DISCONNECT = new Map<number, Disconnect>([
  [109, Disconnects.expired],
  [110, Disconnects.expired],
  [111, Disconnects.tooManyRequests],
  [103, Disconnects.permissionDenied],
]);

export function disconnectForFailure(failure: ConnectFailure, cfg: ClientConfig): Disconnect {
  if (failure.disconnect) return failure.disconnect;
  const code = failure.error.code;
  const mapping = cfg.connect_code_to_unidirectional_disconnect;
  if (mapping.enabled) {
    const t = mapping.transforms.find((x) => x.code === code);
    if (t) return { code: t.to.code, reason: t.to.reason };
  }
  return DEFAULT_ERROR_TO_DISCONNECT.get(code) ?? Disconnects.internal;
}

export interface HttpFailureResponse {
  status: number;
  body: string;
}

interface CodeToHttp {
  transforms: Array<{ code: number; to: { status_code: number; body: string } }>;
}

/** connect_code_to_http_response: the listed code's response (its body defaulting to the reason), else 500. */
export function httpResponseForFailure(failure: ConnectFailure, mapping: CodeToHttp): HttpFailureResponse {
  const { code, text } = failure.disconnect
    ? { code: failure.disconnect.code, text: failure.disconnect.reason }
    : { code: failure.error.code, text: failure.error.message };
  const t = mapping.transforms.find((x) => x.code === code);
  if (t) return { status: t.to.status_code, body: t.to.body === '' ? text : t.to.body };
  return { status: 500, body: 'Internal Server Error' };
}
