// The seam between a node and where presence lives: Centrifugo's
// PresenceManager (centrifuge presence.go). It hands nothing back to the node,
// so it takes no event handler; joins and leaves travel through the broker.
// The memory and Redis presence managers pass test/presence-manager-suite.ts.

import type { ClientInfo } from '../protocol/types.js';
import type { EngineHealth } from './availability.js';

export interface PresenceStats {
  numClients: number;
  numUsers: number;
}

export interface PresenceManager {
  readonly name: string;
  start(): Promise<void>;
  close(): Promise<void>;
  health(): EngineHealth;

  /** Adds or refreshes one connection's entry (a Redis entry expires unless refreshed). */
  addPresence(channel: string, clientId: string, info: ClientInfo): Promise<void>;
  removePresence(channel: string, clientId: string, user: string): Promise<void>;
  presence(channel: string): Promise<Map<string, ClientInfo>>;
  presenceStats(channel: string): Promise<PresenceStats>;
}
