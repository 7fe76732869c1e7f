// The soak scenario's flags, read into its options (see bench/README.md, "soak").

import { num, UsageError } from './flags.js';
import { SOURCE_NAMES, type SourceName } from './soak-sources.js';
import { isTransportName, type TransportName } from './transports.js';

export interface SoakOptions {
  duration: number;
  conns: number;
  channels: number;
  /** Publications per second, all sources together. */
  rate: number;
  /** Fraction of the live connections closed and reopened per second. */
  churn: number;
  transports: TransportName[];
  sources: SourceName[];
  historySize: number;
  workers: number;
  windowSeconds: number;
  engine: 'memory' | 'redis';
  drain: number;
  rampBatch: number;
  connectTimeout: number;
  outboxPartitions: number;
  kafkaPartitions: number;
}

const SOAK_TRANSPORTS = new Set<TransportName>(['websocket', 'sse', 'http_stream']);
function list(raw: unknown, fallback: string): string[] {
  return String(raw ?? fallback)
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
}

export function soakOptions(values: Record<string, unknown>): SoakOptions {
  for (const k of ['target', 'ws-url', 'nodes', 'size', 'publications', 'changes', 'step-factor', 'step-duration', 'lanes', 'batch-max', 'token-alg', 'client'])
    if (values[k] !== undefined) throw new UsageError(`--${k} does not apply to the soak scenario`);
  const duration = num(values, 'duration', 600, 10);
  const conns = num(values, 'conns', 10000, 1);
  const channels = num(values, 'channels', 1000, 1);
  const rate = num(values, 'rate', 300, 0.1);
  const transports = list(values.transport, 'websocket,sse,http_stream');
  for (const t of transports)
    if (!isTransportName(t) || !SOAK_TRANSPORTS.has(t)) throw new UsageError(`--transport: the soak mixes ${[...SOAK_TRANSPORTS].join(', ')}; not "${t}"`);
  const sources = list(values.sources, SOURCE_NAMES.join(','));
  for (const s of sources) if (!(SOURCE_NAMES as string[]).includes(s)) throw new UsageError(`--sources: ${SOURCE_NAMES.join(', ')}; not "${s}"`);
  const engine = String(values.engine ?? 'memory');
  if (engine !== 'memory' && engine !== 'redis') throw new UsageError('--engine: memory or redis');
  // A window is a minute, or a tenth of a run shorter than ten minutes.
  const windowSeconds = Math.min(60, duration / 10);
  // History holds what one window publishes per channel: full before the second window (the RSS growth
  // reference), so a filling history is not taken for a leak, and far more than a reconnect can miss.
  const historySize = num(values, 'history-size', Math.max(10, Math.ceil((rate / channels) * windowSeconds)), 1);
  return {
    duration,
    conns,
    channels,
    rate,
    churn: num(values, 'churn', 1, 0) / 100,
    transports: transports as TransportName[],
    sources: sources as SourceName[],
    historySize,
    workers: num(values, 'workers', Math.min(2, conns), 1),
    windowSeconds,
    engine,
    drain: num(values, 'drain', 60, 1),
    rampBatch: num(values, 'ramp-batch', 500, 1),
    connectTimeout: num(values, 'connect-timeout', 10, 1),
    outboxPartitions: 4,
    kafkaPartitions: 3,
  };
}
