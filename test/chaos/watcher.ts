// A subscriber as an application has it: the official `centrifuge` SDK,
// connected with a token, subscribed to one channel, keeping the numbers
// (data.i) it receives in order and how often it was told to resubscribe.

import { collect, once, sdkClient, type Centrifuge } from '../helpers/sdk.js';
import { token } from '../helpers/server.js';

export interface Watcher {
  received: number[];
  /** Every `subscribed` event after the first: a resubscribe, recovered from history or not. */
  resubscribes(): { total: number; recovered: number };
  connected(): boolean;
  close(): void;
}

export async function sdkWatcher(wsUrl: string, channel: string, user = 'chaos-watcher'): Promise<Watcher> {
  const client: Centrifuge = sdkClient(wsUrl, { token: await token(user) });
  const sub = client.newSubscription(channel);
  const received: number[] = [];
  sub.on('publication', (ctx) => received.push((ctx.data as { i: number }).i));
  const subscribed = collect(sub, 'subscribed');
  client.connect();
  sub.subscribe();
  await once(sub, 'subscribed', 10_000);
  return {
    received,
    resubscribes: () => {
      const again = subscribed.slice(1);
      return { total: again.length, recovered: again.filter((s) => s.recovered).length };
    },
    connected: () => client.state === 'connected',
    close: () => client.disconnect(),
  };
}
