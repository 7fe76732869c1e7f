// Presence for a single process, as Centrifugo's memory presence manager:
// entries live in this node's memory with no TTL, since the node removes them
// itself on unsubscribe and disconnect (and loses them all when it stops).

import type { ClientInfo } from '../../protocol/types.js';
import type { EngineHealth } from '../availability.js';
import type { PresenceManager, PresenceStats } from '../presence-manager.js';
import { PresenceStore } from './presence-store.js';

/** Counters for leak tests and debugging. */
export interface MemoryPresenceStats {
  presenceChannels: number;
  presenceClients: number;
}

export class MemoryPresenceManager implements PresenceManager {
  readonly name = 'memory';
  private readonly store = new PresenceStore();

  async start(): Promise<void> {}

  async close(): Promise<void> {
    this.store.clear();
  }

  health(): EngineHealth {
    return { healthy: true };
  }

  async addPresence(channel: string, clientId: string, info: ClientInfo): Promise<void> {
    this.store.add(channel, clientId, info);
  }

  async removePresence(channel: string, clientId: string, _user: string): Promise<void> {
    this.store.remove(channel, clientId);
  }

  async presence(channel: string): Promise<Map<string, ClientInfo>> {
    return this.store.get(channel);
  }

  async presenceStats(channel: string): Promise<PresenceStats> {
    return this.store.stats(channel);
  }

  stats(): MemoryPresenceStats {
    return { presenceChannels: this.store.channelCount, presenceClients: this.store.clientCount };
  }
}
