// The other live nodes, as last heard from their heartbeats. An entry that
// has not been refreshed within the TTL is gone: the node crashed or lost its
// link to the broker. Expired entries are dropped lazily on every read and by
// the control plane's periodic clean, so `info` never lists a dead node even
// between cleans.

import type { NodeInfo } from './messages.js';

export type LeaveReason = 'shutdown' | 'expired';

export interface RegistryEvents {
  joined(info: NodeInfo): void;
  left(info: NodeInfo, reason: LeaveReason): void;
}

interface Entry {
  info: NodeInfo;
  lastSeen: number;
}

export class NodeRegistry {
  private readonly nodes = new Map<string, Entry>();

  constructor(
    private readonly ttlMs: number,
    private readonly events: RegistryEvents,
  ) {}

  /** Records a heartbeat; returns true when the node was not known before. */
  update(info: NodeInfo, now = Date.now()): boolean {
    this.clean(now);
    const known = this.nodes.has(info.uid);
    this.nodes.set(info.uid, { info, lastSeen: now });
    if (!known) this.events.joined(info);
    return !known;
  }

  remove(uid: string, reason: LeaveReason): void {
    const entry = this.nodes.get(uid);
    if (!entry) return;
    this.nodes.delete(uid);
    this.events.left(entry.info, reason);
  }

  /** Drops every node not heard from within the TTL. */
  clean(now = Date.now()): void {
    for (const [uid, entry] of this.nodes) {
      if (now - entry.lastSeen > this.ttlMs) this.remove(uid, 'expired');
    }
  }

  /** Live nodes, in the order they joined. */
  list(now = Date.now()): NodeInfo[] {
    this.clean(now);
    return [...this.nodes.values()].map((e) => e.info);
  }

  ids(now = Date.now()): string[] {
    this.clean(now);
    return [...this.nodes.keys()];
  }

  has(uid: string): boolean {
    return this.nodes.has(uid);
  }

  get size(): number {
    return this.nodes.size;
  }

  clear(): void {
    this.nodes.clear();
  }
}
