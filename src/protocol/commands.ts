// Client protocol v2 commands as Tributary handles them, independent of the
// wire codec. Field names follow the protocol's snake_case JSON names.

import type { Raw } from './types.js';

export interface StreamPositionJson {
  offset?: number;
  epoch?: string;
}

export interface ConnectRequest {
  token?: string;
  data?: Raw;
  subs?: Record<string, SubscribeRequest>;
  name?: string;
  version?: string;
  headers?: Record<string, string>;
}

export interface SubscribeRequest {
  channel: string;
  token?: string;
  recover?: boolean;
  epoch?: string;
  offset?: number;
  data?: Raw;
  positioned?: boolean;
  recoverable?: boolean;
  join_leave?: boolean;
  delta?: string;
  flag?: number;
  type?: number;
}

export interface HistoryRequest {
  channel: string;
  limit?: number;
  since?: StreamPositionJson;
  reverse?: boolean;
}

/** The request kinds, in the order Go's dispatcher looks for them. */
export type CommandKind =
  'connect' | 'subscribe' | 'unsubscribe' | 'publish' | 'presence' | 'presence_stats' | 'history' | 'ping' | 'send' | 'rpc' | 'refresh' | 'sub_refresh';

export const COMMAND_KINDS: readonly CommandKind[] = [
  'connect',
  'subscribe',
  'unsubscribe',
  'publish',
  'presence',
  'presence_stats',
  'history',
  'ping',
  'send',
  'rpc',
  'refresh',
  'sub_refresh',
];

export type Command =
  | { id: number; kind: 'connect'; req: ConnectRequest }
  | { id: number; kind: 'subscribe'; req: SubscribeRequest }
  | { id: number; kind: 'unsubscribe'; req: { channel: string } }
  | { id: number; kind: 'publish'; req: { channel: string; data?: Raw } }
  | { id: number; kind: 'presence'; req: { channel: string } }
  | { id: number; kind: 'presence_stats'; req: { channel: string } }
  | { id: number; kind: 'history'; req: HistoryRequest }
  | { id: number; kind: 'ping'; req: Record<string, never> }
  | { id: number; kind: 'send'; req: { data?: Raw } }
  | { id: number; kind: 'rpc'; req: { method?: string; data?: Raw } }
  | { id: number; kind: 'refresh'; req: { token?: string } }
  | { id: number; kind: 'sub_refresh'; req: { channel: string; token?: string } }
  /** An empty command (`{}`): the client's pong. */
  | { id: number; kind: 'pong'; req: null };
