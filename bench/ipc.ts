// Messages between the bench's main process and its subscriber processes.

import type { HistogramData } from './histogram.js';
import type { TransportName } from './transports.js';

export type ClientKind = 'raw' | 'ws';

export interface InitMsg {
  type: 'init';
  worker: number;
  /**
   * The server's WebSocket URL, or one per node: the k-th subscriber of a channel
   * (connection i is subscriber floor(i / channels) of channel i % channels)
   * connects to node k mod N, so every channel has subscribers on every node.
   */
  wsUrls: string[];
  tokenSecret: string;
  /** Connection indexes [from, to) belong to this worker; connection i subscribes to channel i % channels.length. */
  from: number;
  to: number;
  channels: string[];
  rampBatch: number;
  localAddresses: string[];
  client: ClientKind;
  /** websocket subscribes with a subscribe command; every other transport through the token's `channels` claim. */
  transport: TransportName;
  userPrefix: string;
  connectTimeoutMs: number;
  /** Tokens signed ahead by the main process for connections from…to−1 (index − from); without them the worker signs HS256 with tokenSecret as each socket opens. */
  tokens?: string[];
  /**
   * Keep at most this many connections of the process between start and
   * subscribed (or failed), opening the next as soon as one settles (the
   * connect storm). Without it connections open rampBatch at a time, each
   * batch after the previous one settled.
   */
  inFlight?: number;
}

/** Asks for counters now; optionally sets the latency recording threshold and takes (and resets) the histogram. */
export interface MarkMsg {
  type: 'mark';
  id: number;
  /** Record latencies only for publications stamped at or after this time (µs, see clock.ts). */
  recordFrom?: number;
  takeHistogram?: boolean;
}

export interface FinishMsg {
  type: 'finish';
  /** Highest sequence number published per channel index. */
  published: number[];
}

export interface CloseMsg {
  type: 'close';
}

export type ToWorker = InitMsg | MarkMsg | FinishMsg | CloseMsg;

export interface Counters {
  /** Publications received (duplicates included). */
  received: number;
  /** Bytes received on the sockets, handshakes and pings included. */
  bytes: number;
  pings: number;
  /** Connections closed after they were subscribed. */
  disconnects: number;
  /** Process CPU time used so far, µs (user + system). */
  cpuUs: number;
  at: number;
}

export interface ProgressMsg {
  type: 'progress';
  worker: number;
  opened: number;
  subscribed: number;
  failed: number;
}

export interface ReadyMsg {
  type: 'ready';
  worker: number;
  opened: number;
  subscribed: number;
  failed: number;
  /** Error message → count, for connections that did not get subscribed. */
  errors: Record<string, number>;
  /** Subscribed connections per channel index. */
  subsPerChannel: number[];
  /** When the first connection was started and the last one subscribed (µs, clock.ts; 0 when none). */
  firstStartAt: number;
  lastSubscribedAt: number;
  /** Per subscribed connection: socket connect started → subscribe reply received (µs). */
  connectLatency: HistogramData;
  /** This process's CPU time (µs) when the ramp started and when it ended. */
  cpuUsAtStart: number;
  cpuUsAtEnd: number;
}

export interface MarkReplyMsg extends Counters {
  type: 'mark';
  worker: number;
  id: number;
  histogram?: HistogramData;
}

export interface FinishedMsg extends Counters {
  type: 'finished';
  worker: number;
  /** Publications that never arrived, summed over subscribed connections. */
  lost: number;
  /** Publications that arrived more than once (or out of order). */
  dup: number;
  /** Publications expected by the subscribed connections. */
  expected: number;
  histogram: HistogramData;
  /** Close code → count, for connections lost after subscribing. */
  closeCodes: Record<string, number>;
  /** Pushes that were not publications (join/leave/disconnect…), and server error replies. */
  otherPushes: number;
  samples: string[];
  /** Emulated pongs (POST /emulation) that failed or got an error status. */
  pongFailures: number;
  /** Emulated pongs: send → response round trips (µs). */
  pongLatency: HistogramData;
  /** Emulated pongs in flight at once, at most. */
  pongsInFlightMax: number;
}

export interface WorkerErrorMsg {
  type: 'error';
  worker: number;
  message: string;
}

/** Sent once the process has loaded and listens for messages (Workers.started()). */
export interface HelloMsg {
  type: 'hello';
}

export type FromWorker = HelloMsg | ProgressMsg | ReadyMsg | MarkReplyMsg | FinishedMsg | WorkerErrorMsg;
