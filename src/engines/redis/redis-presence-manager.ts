// Presence in Redis (spec server-api.md §4.5): per channel a hash of client
// infos plus a sorted set of expiry times, so entries of a node that died
// without removing them drop out after presence_ttl. Only the shards' command
// links are used: a presence manager opens no PUB/SUB connection. Built on the
// broker's RedisShards when one engine block configures both.

import type { ClientInfo } from '../../protocol/types.js';
import { Serial } from '../../util/serial.js';
import type { EngineHealth } from '../availability.js';
import type { PresenceManager, PresenceStats } from '../presence-manager.js';
import { decodeClientInfo, encodeClientInfo } from './payloads.js';
import type { RedisShards } from './shards.js';
import { seconds, text } from './values.js';

export interface RedisPresenceStats {
  /** Presence entries that could not be decoded (skipped in replies). */
  malformedEntries: number;
}

export class RedisPresenceManager implements PresenceManager {
  readonly name = 'redis';
  readonly stats: RedisPresenceStats = { malformedEntries: 0 };
  private started = false;
  /** Start and close one at a time (see Serial). */
  private readonly lifecycle = new Serial();

  constructor(private readonly shards: RedisShards) {}

  start(): Promise<void> {
    return this.lifecycle.run(async () => {
      if (this.started) return;
      await this.shards.acquire();
      this.started = true;
    });
  }

  close(): Promise<void> {
    return this.lifecycle.run(async () => {
      if (!this.started) return;
      this.started = false;
      await this.shards.release();
    });
  }

  /** Presence needs only the command links. */
  health(): EngineHealth {
    return this.shards.health((s) => s.commandsHealthy());
  }

  async addPresence(channel: string, clientId: string, info: ClientInfo): Promise<void> {
    const keys = this.shards.keys;
    const ttl = seconds(this.shards.options.presence_ttl);
    await this.shards
      .shardFor(channel)
      .script(
        'presenceAdd',
        [keys.presenceData(channel), keys.presenceExpire(channel)],
        [ttl, Math.floor(Date.now() / 1000) + ttl, clientId, encodeClientInfo(info)],
      );
  }

  async removePresence(channel: string, clientId: string, _user: string): Promise<void> {
    const keys = this.shards.keys;
    await this.shards.shardFor(channel).script('presenceRemove', [keys.presenceData(channel), keys.presenceExpire(channel)], [clientId]);
  }

  async presence(channel: string): Promise<Map<string, ClientInfo>> {
    const keys = this.shards.keys;
    const flat = (await this.shards
      .shardFor(channel)
      .script('presenceGet', [keys.presenceData(channel), keys.presenceExpire(channel)], [Math.floor(Date.now() / 1000)], true)) as Buffer[];
    const out = new Map<string, ClientInfo>();
    for (let i = 0; i + 1 < flat.length; i += 2) {
      try {
        out.set(text(flat[i]), decodeClientInfo(flat[i + 1]!));
      } catch {
        this.stats.malformedEntries++;
      }
    }
    return out;
  }

  async presenceStats(channel: string): Promise<PresenceStats> {
    const map = await this.presence(channel);
    const users = new Set<string>();
    for (const info of map.values()) users.add(info.user);
    return { numClients: map.size, numUsers: users.size };
  }
}
