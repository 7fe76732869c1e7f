// The backend of bench/proxy.ts, in a process of its own so that its work
// does not queue behind the load generator's: answers every proxy call at
// once (connect: a user; rpc: data). Prints its port on stdout, and the
// number of calls it answered on stderr when it gets SIGTERM.

import http from 'node:http';
import type { AddressInfo } from 'node:net';

let calls = 0;
const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    calls++;
    const answer = req.url === '/connect' ? '{"result":{"user":"bench"}}' : `{"result":{"data":${body.includes('"data"') ? '{"ok":true}' : '{}'}}}`;
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(answer);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => console.log((server.address() as AddressInfo).port));
process.on('SIGTERM', () => {
  console.error(`calls ${calls}`);
  process.exit(0);
});
