// A full garbage collection in a server process, asked for through the V8
// inspector the bench opened on it (--inspect on a loopback port). The idle
// scenario measures what each connection keeps: RSS sampled at an arbitrary
// moment also holds whatever garbage the last pings left (an HTTP-streaming
// or SSE pong is a whole HTTP request), and that varied the per-connection
// figure by 2x between runs. Bench-only: the server has no such hook.

import { WebSocket } from 'ws';

interface InspectorTarget {
  webSocketDebuggerUrl?: string;
}

/** Runs HeapProfiler.collectGarbage in the process whose inspector listens on `port`; rejects after `timeoutMs`. */
export async function collectGarbage(port: number, timeoutMs = 10_000): Promise<void> {
  const list = (await (await fetch(`http://127.0.0.1:${port}/json/list`, { signal: AbortSignal.timeout(timeoutMs) })).json()) as InspectorTarget[];
  const url = list.find((t) => t.webSocketDebuggerUrl)?.webSocketDebuggerUrl;
  if (!url) throw new Error(`no inspector target on port ${port}`);
  const ws = new WebSocket(url);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`inspector on port ${port}: no answer to collectGarbage in ${timeoutMs} ms`)), timeoutMs);
      ws.once('error', reject);
      ws.once('open', () => ws.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' })));
      ws.on('message', (data: Buffer) => {
        const reply = JSON.parse(data.toString('utf8')) as { id?: number; error?: { message: string } };
        if (reply.id !== 1) return;
        clearTimeout(timer);
        if (reply.error) reject(new Error(`collectGarbage: ${reply.error.message}`));
        else resolve();
      });
    });
  } finally {
    ws.close();
  }
}
