// Who is present in each channel on this node: channel → clientId → ClientInfo.
// No TTL: a single process removes entries itself on unsubscribe/disconnect.
// Empty channel maps are deleted at once so idle channels cost nothing.

import type { ClientInfo } from '../../protocol/types.js';
import type { PresenceStats } from '../presence-manager.js';

export class PresenceStore {
  private readonly channels = new Map<string, Map<string, ClientInfo>>();

  add(channel: string, clientId: string, info: ClientInfo): void {
    let clients = this.channels.get(channel);
    if (clients === undefined) {
      clients = new Map();
      this.channels.set(channel, clients);
    }
    clients.set(clientId, info);
  }

  remove(channel: string, clientId: string): void {
    const clients = this.channels.get(channel);
    if (clients === undefined) return;
    clients.delete(clientId);
    if (clients.size === 0) this.channels.delete(channel);
  }

  /** A copy, so callers cannot change the store by mutating the result. */
  get(channel: string): Map<string, ClientInfo> {
    const clients = this.channels.get(channel);
    return clients === undefined ? new Map() : new Map(clients);
  }

  /** Distinct users are counted by `user`, so all anonymous clients ('') count as one. */
  stats(channel: string): PresenceStats {
    const clients = this.channels.get(channel);
    if (clients === undefined) return { numClients: 0, numUsers: 0 };
    const users = new Set<string>();
    for (const info of clients.values()) users.add(info.user);
    return { numClients: clients.size, numUsers: users.size };
  }

  clear(): void {
    this.channels.clear();
  }

  get channelCount(): number {
    return this.channels.size;
  }

  get clientCount(): number {
    let n = 0;
    for (const clients of this.channels.values()) n += clients.size;
    return n;
  }
}
