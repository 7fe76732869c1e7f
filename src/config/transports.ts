// The options of the transports beside bidirectional WebSocket: HTTP-streaming
// and SSE (bidirectional emulation, with the /emulation endpoint that carries
// their client-to-server commands) and the unidirectional WebSocket, SSE and
// HTTP-streaming transports. Key names and defaults are Centrifugo v6's
// (internal/configtypes/types.go); every one is off until enabled.

import { WEBSOCKET_TUNING, accepted, bool, duration, handlerPrefix, int, list, section, str } from './fields.js';

const positive = (what: string) => ({ check: (n: number) => (n <= 0 ? `${what} must be positive` : undefined) });
const bodyLimit = (what: string) => int(65536, `Largest ${what} request body in bytes (413 above it).`, positive('max_request_body_size'));

const emulated = (what: string, prefix: string) =>
  section(`The ${what} transport (bidirectional emulation: commands arrive through the emulation endpoint).`, {
    enabled: bool(false, `Serve ${what} connections.`, { flag: true }),
    handler_prefix: handlerPrefix(prefix, `Path of ${what} connections.`),
    max_request_body_size: bodyLimit(`${what} connect`),
  });

const CODE_TO_HTTP = section('Answers a failed connect with an HTTP response instead of a stream that ends in a disconnect.', {
  enabled: bool(false, 'Turn the mapping on: the connect runs before the response starts.'),
  transforms: list(
    'Connect error code → HTTP response; codes not listed get 500.',
    section(
      '',
      {
        code: int(0, 'Connect error code (e.g. 101 unauthorized).'),
        to: section('The response.', {
          status_code: int(0, 'HTTP status.'),
          body: str('', 'Response body.'),
        }),
      },
      { item: true },
    ),
  ),
});

const uniStream = (what: string, prefix: string) =>
  section(`The unidirectional ${what} transport: one connect request, then pushes only.`, {
    enabled: bool(false, `Serve unidirectional ${what} connections.`, { flag: true }),
    handler_prefix: handlerPrefix(prefix, `Path of unidirectional ${what} connections.`),
    max_request_body_size: bodyLimit(`unidirectional ${what} connect`),
    connect_code_to_http_response: CODE_TO_HTTP,
  });

export const TRANSPORT_SECTIONS = {
  http_stream: emulated('HTTP-streaming', '/connection/http_stream'),
  sse: emulated('SSE (EventSource)', '/connection/sse'),
  emulation: section('The endpoint that carries HTTP-streaming and SSE clients’ commands to their session, on whichever node it lives.', {
    handler_prefix: handlerPrefix('/emulation', 'Path of the emulation endpoint.'),
    max_request_body_size: int(65536, 'Largest emulation request body in bytes (413 above it).', positive('max_request_body_size')),
  }),
  uni_websocket: section(
    'The unidirectional WebSocket transport: a connect request in cf_connect or the first message, then pushes only.',
    {
      enabled: bool(false, 'Serve unidirectional WebSocket connections.', { flag: true }),
      handler_prefix: handlerPrefix('/connection/uni_websocket', 'Path of unidirectional WebSocket connections.'),
      write_timeout: duration('1000ms', 'A socket that takes no write for this long is disconnected (3009).', { orDefault: 'zero' }),
      message_size_limit: int(65536, 'Largest message (the connect request) a client may send, in bytes.', { orDefault: 'zero' }),
      join_push_messages: bool(false, 'Join the pushes of one write into one frame, separated by newlines.'),
      disable_closing_handshake: bool(false, 'Drop the socket without a close frame.'),
      disable_disconnect_push: bool(false, 'Send no disconnect push before the close frame (which carries the same code).'),
    },
    { unsupported: { compression: 'warn', ...accepted('silent', WEBSOCKET_TUNING) } },
  ),
  uni_sse: uniStream('SSE', '/connection/uni_sse'),
  uni_http_stream: uniStream('HTTP-streaming', '/connection/uni_http_stream'),
};

/** client.connect_code_to_unidirectional_disconnect: which disconnect a failed connect becomes on a unidirectional transport. */
export const CONNECT_CODE_TO_UNI_DISCONNECT = section('Maps connect error codes to the disconnect a unidirectional connection gets.', {
  enabled: bool(false, 'Use the transforms (before the built-in mapping).'),
  transforms: list(
    'Connect error code → disconnect.',
    section(
      '',
      {
        code: int(0, 'Connect error code.'),
        to: section('The disconnect.', { code: int(0, 'Disconnect code.'), reason: str('', 'Disconnect reason.') }),
      },
      { item: true },
    ),
  ),
});
