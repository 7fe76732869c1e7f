// An engine made of two: publications, history and control from the broker,
// presence from the presence manager. Centrifugo's `broker` and
// `presence_manager` blocks replace one half of `engine` this way (spec
// server-api.md §4).

import type { ClientInfo, Raw } from '../protocol/types.js';
import type { EngineHealth } from './availability.js';
import type { HistoryFilter, HistoryOptions, HistoryResult, PublishOptions, PublishResult } from './broker.js';
import type { Engine, EngineEventHandler } from './engine.js';
import type { PresenceStats } from './presence-manager.js';

export class CompositeEngine implements Engine {
  readonly name: string;

  constructor(
    private readonly broker: Engine,
    private readonly presenceManager: Engine,
  ) {
    this.name = `${broker.name}+${presenceManager.name}-presence`;
  }

  async start(handler: EngineEventHandler): Promise<void> {
    await this.broker.start(handler);
    // The presence half hands nothing to the node: publications and control
    // come from the broker alone, or a Redis presence manager would deliver
    // control messages a second time.
    await this.presenceManager.start({
      id: handler.id,
      onPublication() {},
      onJoin() {},
      onLeave() {},
      onControl() {},
      onDeliveryGap() {},
    });
  }

  async close(): Promise<void> {
    await Promise.all([this.broker.close(), this.presenceManager.close()]);
  }

  health(): EngineHealth {
    const parts = [
      ['broker', this.broker.health()],
      ['presence manager', this.presenceManager.health()],
    ] as const;
    const sick = parts.filter(([, h]) => !h.healthy);
    if (sick.length === 0) return { healthy: true };
    return { healthy: false, detail: sick.map(([what, h]) => `${what}: ${h.detail ?? 'unhealthy'}`).join('; ') };
  }

  publish(channel: string, data: Raw, opts: PublishOptions): Promise<PublishResult> {
    return this.broker.publish(channel, data, opts);
  }

  publishJoin(channel: string, info: ClientInfo): Promise<void> {
    return this.broker.publishJoin(channel, info);
  }

  publishLeave(channel: string, info: ClientInfo): Promise<void> {
    return this.broker.publishLeave(channel, info);
  }

  publishControl(data: Raw, nodeId?: string): Promise<void> {
    return this.broker.publishControl(data, nodeId);
  }

  subscribe(channels: string[]): Promise<void> {
    return this.broker.subscribe(channels);
  }

  unsubscribe(channels: string[]): Promise<void> {
    return this.broker.unsubscribe(channels);
  }

  history(channel: string, filter: HistoryFilter, opts: HistoryOptions): Promise<HistoryResult> {
    return this.broker.history(channel, filter, opts);
  }

  removeHistory(channel: string): Promise<void> {
    return this.broker.removeHistory(channel);
  }

  addPresence(channel: string, clientId: string, info: ClientInfo): Promise<void> {
    return this.presenceManager.addPresence(channel, clientId, info);
  }

  removePresence(channel: string, clientId: string, user: string): Promise<void> {
    return this.presenceManager.removePresence(channel, clientId, user);
  }

  presence(channel: string): Promise<Map<string, ClientInfo>> {
    return this.presenceManager.presence(channel);
  }

  presenceStats(channel: string): Promise<PresenceStats> {
    return this.presenceManager.presenceStats(channel);
  }
}
