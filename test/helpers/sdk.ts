// The official `centrifuge` SDK in Node, over `ws` or, when a test file asks
// for it, over its http_stream or sse transport (fetch streams, EventSource
// from the `eventsource` package), with small await helpers.

import { Centrifuge, type Subscription } from 'centrifuge';
import { Centrifuge as ProtobufCentrifuge } from 'centrifuge/build/protobuf';
import { EventSource } from 'eventsource';
import { WebSocket } from 'ws';

export { Centrifuge };
export type { Subscription };

export type SdkProtocol = 'json' | 'protobuf';
export type SdkTransport = 'websocket' | 'http_stream' | 'sse';

let sdkTransport: SdkTransport = 'websocket';

/**
 * Makes every sdkClient of this test process use `transport`: the suites in
 * test/integration/transports/ run the WebSocket SDK suites again over the
 * emulation transports this way.
 */
export function useSdkTransport(transport: SdkTransport): void {
  sdkTransport = transport;
}

export function currentSdkTransport(): SdkTransport {
  return sdkTransport;
}

/** A WebSocket endpoint URL as the SDK's transport list for the current transport (with the emulation endpoint). */
function endpointFor(url: string): { endpoint: string | Array<{ transport: string; endpoint: string }>; options: Record<string, unknown> } {
  if (sdkTransport === 'websocket' || !url.startsWith('ws')) return { endpoint: url, options: {} };
  const u = new URL(url.replace(/^ws/, 'http'));
  const base = `${u.protocol}//${u.host}`;
  return {
    endpoint: [{ transport: sdkTransport, endpoint: `${base}/connection/${sdkTransport}${u.search}` }],
    options: { emulationEndpoint: `${base}/emulation`, fetch, readableStream: ReadableStream, eventsource: EventSource },
  };
}

/** The official SDK: its JSON build, or its Protobuf build (`centrifuge/build/protobuf`). */
export function sdkClient(url: string, opts: Record<string, unknown> = {}, protocol: SdkProtocol = 'json'): Centrifuge {
  const { endpoint, options: transportOptions } = endpointFor(url);
  const options = { websocket: WebSocket, minReconnectDelay: 50, maxReconnectDelay: 200, ...transportOptions, ...opts };
  if (protocol === 'protobuf') return new ProtobufCentrifuge(endpoint as string, options) as unknown as Centrifuge;
  return new Centrifuge(endpoint as string, options);
}

/** Publication data as the app sees it: parsed JSON, or bytes decoded as JSON for the Protobuf build. */
export function dataOf(data: unknown): any {
  if (data instanceof Uint8Array) return JSON.parse(Buffer.from(data).toString('utf8'));
  return data;
}

/** Resolves with the event's context the next time `emitter` emits `event`. */
// The SDK's emitters are typed per event; tests read contexts loosely, hence `any`.
type AnyEmitter = { on(event: any, fn: any): unknown; once(event: any, fn: any): unknown };

export function once(emitter: AnyEmitter, event: string, ms = 4000): Promise<any> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out waiting for "${event}"`)), ms);
    emitter.once(event, (ctx: any) => {
      clearTimeout(t);
      resolve(ctx);
    });
  });
}

/** Collects every context `emitter` emits for `event`. */
export function collect(emitter: AnyEmitter, event: string): any[] {
  const out: any[] = [];
  emitter.on(event, (ctx: any) => out.push(ctx));
  return out;
}

export async function waitFor(pred: () => boolean, ms = 4000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** An SDK client connected with `token(user)`; `clients` keeps it for the test's after hook to disconnect. */
export async function connectedClient(wsUrl: string, user: string, token: (user: string) => Promise<string>, clients: Centrifuge[]): Promise<Centrifuge> {
  const c = sdkClient(wsUrl, { token: await token(user) });
  clients.push(c);
  c.connect();
  await once(c, 'connected');
  return c;
}

/** A connected SDK client subscribed to `channel`, collecting its publications. */
export async function subscribedClient(wsUrl: string, channel: string, user: string, token: (user: string) => Promise<string>) {
  const client = sdkClient(wsUrl, { token: await token(user) });
  const sub = client.newSubscription(channel);
  const pubs = collect(sub, 'publication');
  client.connect();
  sub.subscribe();
  await once(sub, 'subscribed');
  return { client, sub, pubs };
}

/** Subscribes each client to its channel (pairs), collecting publications, and waits until all are subscribed. */
export async function subscribePairs(pairs: Array<[Centrifuge, string]>): Promise<{ s: Subscription; pubs: any[] }[]> {
  const subs = pairs.map(([c, channel]) => {
    const s = c.newSubscription(channel);
    const pubs = collect(s, 'publication');
    s.subscribe();
    return { s, pubs };
  });
  await Promise.all(subs.map((r) => once(r.s, 'subscribed')));
  return subs;
}

/** Subscribes every connected client to `channel`, collecting publications, and waits until all are subscribed. */
export function subscribeEach(clients: Centrifuge[], channel: string): Promise<{ s: Subscription; pubs: any[] }[]> {
  return subscribePairs(clients.map((c) => [c, channel]));
}

/** Subscribes one client to every channel in `channels`, collecting publications, and waits until all are subscribed. */
export function subscribeChannels(client: Centrifuge, channels: string[]): Promise<{ s: Subscription; pubs: any[] }[]> {
  return subscribePairs(channels.map((channel) => [client, channel]));
}
