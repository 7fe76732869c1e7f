// The floor the bench compares Tributary with: a bare `ws` broadcast server.
// It answers connect and subscribe just enough for the bench's clients (same
// ids, empty results), keeps channel → sockets sets, and on POST /api/publish
// or /api/batch builds each publication's push message once and hands that
// one buffer to every subscriber's socket. No per-connection queue, no pings,
// no history, no metrics, no auth.
//
//   node --import tsx bench/baseline-server.ts --port 8001 [--address 127.0.0.1]

import http from 'node:http';
import { parseArgs } from 'node:util';
import { WebSocket, WebSocketServer } from 'ws';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8001' },
    address: { type: 'string', default: '127.0.0.1' },
    path: { type: 'string', default: '/connection/websocket' },
    'api-prefix': { type: 'string', default: '/api' },
  },
});

const wsPath = values.path!;
const apiPrefix = values['api-prefix']!.replace(/\/+$/, '');
const channels = new Map<string, Set<WebSocket>>();
const subsOf = new WeakMap<WebSocket, string[]>();

function publish(channel: unknown, data: unknown): boolean {
  if (typeof channel !== 'string') return false;
  const set = channels.get(channel);
  if (!set) return true;
  const frame = Buffer.from('{"push":{"channel":' + JSON.stringify(channel) + ',"pub":{"data":' + JSON.stringify(data) + '}}}');
  for (const ws of set) ws.send(frame, { binary: false });
  return true;
}

function onCommandLine(ws: WebSocket, line: string): void {
  if (line === '' || line === '{}') return; // pong
  let cmd: Record<string, unknown>;
  try {
    cmd = JSON.parse(line) as Record<string, unknown>;
  } catch {
    ws.close(3501, 'bad request');
    return;
  }
  const id = typeof cmd.id === 'number' ? cmd.id : 0;
  const sub = cmd.subscribe as { channel?: unknown } | undefined;
  if (sub && typeof sub.channel === 'string') {
    let set = channels.get(sub.channel);
    if (!set) channels.set(sub.channel, (set = new Set()));
    set.add(ws);
    const list = subsOf.get(ws);
    if (list) list.push(sub.channel);
    else subsOf.set(ws, [sub.channel]);
    ws.send('{"id":' + id + ',"subscribe":{}}');
    return;
  }
  const kind = Object.keys(cmd).find((k) => k !== 'id') ?? 'connect';
  ws.send('{"id":' + id + ',"' + kind + '":{}}');
}

const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false });

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function reply(res: http.ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

const server = http.createServer((req, res) => {
  const path = (req.url ?? '/').split('?')[0]!;
  if (path === '/health') return reply(res, 200, '{}');
  if (req.method !== 'POST' || !path.startsWith(apiPrefix + '/')) return reply(res, 404, '{}');
  const method = path.slice(apiPrefix.length + 1);
  readBody(req)
    .then((text) => {
      const body = JSON.parse(text) as Record<string, unknown>;
      if (method === 'publish') {
        return reply(res, 200, publish(body.channel, body.data) ? '{"result":{}}' : '{"error":{"code":107,"message":"bad request"}}');
      }
      if (method === 'batch') {
        const commands = Array.isArray(body.commands) ? (body.commands as Array<Record<string, unknown>>) : [];
        const replies: string[] = [];
        for (const c of commands) {
          const p = c?.publish as { channel?: unknown; data?: unknown } | undefined;
          replies.push(p && publish(p.channel, p.data) ? '{"publish":{}}' : '{"error":{"code":107,"message":"bad request"}}');
        }
        return reply(res, 200, '{"result":{"replies":[' + replies.join(',') + ']}}');
      }
      if (method === 'info') return reply(res, 200, '{"result":{"nodes":[]}}');
      return reply(res, 404, '{"error":{"code":104,"message":"method not found"}}');
    })
    .catch(() => reply(res, 400, '{"error":{"code":107,"message":"bad request"}}'));
});

server.on('upgrade', (req, socket, head) => {
  if ((req.url ?? '').split('?')[0] !== wsPath) {
    socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => {
    ws.on('message', (data: Buffer) => {
      const text = data.toString('utf8');
      if (text.indexOf('\n') < 0) onCommandLine(ws, text);
      else for (const line of text.split('\n')) onCommandLine(ws, line);
    });
    ws.on('close', () => {
      for (const ch of subsOf.get(ws) ?? []) {
        const set = channels.get(ch);
        if (!set) continue;
        set.delete(ws);
        if (set.size === 0) channels.delete(ch);
      }
    });
    ws.on('error', () => undefined);
  });
});

server.keepAliveTimeout = 60_000;
server.listen(Number(values.port), values.address, () => {
  process.stdout.write(`baseline listening on ${values.address}:${values.port}\n`);
});

const stop = (): void => {
  server.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
