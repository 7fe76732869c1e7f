// One object that is both broker and presence manager: what the node talks to
// until it holds the two halves apart (broker.ts, presence-manager.ts).

import type { Broker, BrokerEventHandler } from './broker.js';
import type { PresenceManager } from './presence-manager.js';

export type EngineEventHandler = BrokerEventHandler;

export interface Engine extends Broker, Omit<PresenceManager, 'start'> {}
