// A raw JSON-protocol client that keeps only what volume tests check.

import { WebSocket } from 'ws';
import { waitFor } from './process.js';
import { token } from './server.js';

/**
 * A raw JSON-protocol client subscribed to some channels, keeping only what the
 * checks need (channel, offset, data.i) so tens of thousands of publications
 * cost little.
 */
export class LeanSubscriber {
  readonly received = new Map<string, { i: number; offset: number }[]>();
  total = 0;
  /** Called on every publication as it arrives. */
  onPublication: ((channel: string, i: number) => void) | null = null;
  private constructor(private readonly ws: WebSocket) {}

  static async open(wsUrl: string, channels: string[]): Promise<LeanSubscriber> {
    const ws = new WebSocket(wsUrl);
    const sub = new LeanSubscriber(ws);
    for (const c of channels) sub.received.set(c, []);
    const replies = new Set<number>();
    ws.on('message', (raw: Buffer) => {
      for (const line of raw.toString('utf8').split('\n')) {
        if (line === '') continue;
        const m = JSON.parse(line);
        if (m.id) replies.add(m.id);
        const pub = m.push?.pub;
        if (pub) {
          sub.received.get(m.push.channel)?.push({ i: pub.data?.i, offset: pub.offset });
          sub.total++;
          sub.onPublication?.(m.push.channel, pub.data?.i);
        }
        if (Object.keys(m).length === 0) ws.send('{}'); // ping → pong
      }
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    ws.send(JSON.stringify({ id: 1, connect: { token: await token('lean') } }));
    await waitFor(() => replies.has(1), 5000, 'connect reply');
    channels.forEach((channel, k) => ws.send(JSON.stringify({ id: 2 + k, subscribe: { channel } })));
    await waitFor(() => channels.every((_, k) => replies.has(2 + k)), 5000, 'subscribe replies');
    return sub;
  }

  close(): void {
    this.ws.terminate();
  }
}

/** Checks per-channel order of `i` and returns every i seen (with repeats). */
export function idsInOrder(pubs: { data?: any; i?: number }[]): { ids: number[]; ordered: boolean } {
  const ids = pubs.map((p) => (p.i ?? p.data?.i) as number);
  let ordered = true;
  for (let k = 1; k < ids.length; k++) if (!(ids[k]! > ids[k - 1]!)) ordered = false;
  return { ids, ordered };
}
