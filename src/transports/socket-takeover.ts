// Takes the socket of a streaming HTTP/1.1 response away from Node's HTTP
// server once the head is out, the way the server itself lets go of a socket
// on an upgrade: its listeners come off, its parser is closed, the response
// is detached. What stays is the bare socket, written to with prebuilt chunks
// (see http-stream-transport.ts). A stream lives as long as its session, so
// this is what such a connection costs for hours: measured on Node 20 with
// 5,000 idle streams, 15.5 KB of RSS each through ServerResponse, 4.7 KB once
// taken over (a WebSocket from the ws package: 7.9 KB).
//
// The parser and listeners are Node internals: the listeners come off by
// event name, and the parser goes through freeParser from _http_common (the
// same call Node's upgrade path makes), once the parser has returned from the
// request it is parsing. Where any of that is not as expected, the function
// leaves everything alone and the response stays in charge.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';

type FreeParser = (parser: unknown, req: IncomingMessage, socket: Socket) => void;

/** Node's own parser release, or null on a Node without it. */
const freeParser: FreeParser | null = (() => {
  try {
    const common = createRequire(import.meta.url)('_http_common') as { freeParser?: unknown };
    return typeof common.freeParser === 'function' ? (common.freeParser as FreeParser) : null;
  } catch {
    return null;
  }
})();

/** The listeners Node's HTTP server puts on a connection's socket (and the response's own close listener). */
const SERVER_EVENTS = ['data', 'end', 'close', 'drain', 'error', 'timeout', 'pause', 'resume'] as const;

const destroySocket = function (this: Socket): void {
  this.destroy();
};

/**
 * The socket of `res`, now ours alone; null when it cannot be taken (not
 * HTTP/1.1 chunked, not this response's turn on the socket, or internals that
 * differ). Call it right after the head went out (res.flushHeaders()): from
 * then on the body, its last chunk and the socket's end are the caller's. The
 * socket keeps reading (and dropping) what the client sends, so a client that
 * closes its side is seen; it is destroyed on errors and on that end.
 */
export function takeOverSocket(req: IncomingMessage, res: ServerResponse): Socket | null {
  const socket = res.socket as (Socket & { parser?: unknown }) | null;
  if (!freeParser || req.httpVersion !== '1.1' || !res.chunkedEncoding || !res.headersSent || !socket || socket !== req.socket || socket.destroyed) return null;
  const parser = socket.parser;
  if (!parser || typeof parser !== 'object') return null;
  for (const event of SERVER_EVENTS) socket.removeAllListeners(event);
  res.detachSocket(socket);
  socket.on('error', destroySocket);
  socket.on('end', destroySocket);
  // The parser may be inside its callbacks still (a GET is taken over from its 'request' event, before the
  // message is complete), and completing would put it back on the server's connection list: free it after.
  setImmediate(() => {
    if (socket.parser !== parser) return;
    freeParser(parser, req, socket);
    if (!socket.destroyed) socket.resume();
  });
  return socket;
}
