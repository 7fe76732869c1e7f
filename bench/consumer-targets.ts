// The servers the consumer benches (bench:outbox, bench:kafka) run against:
// Tributary, or Centrifugo with its own consumer, both from the same
// `consumers` config (Tributary reads Centrifugo's), the test token secret
// and history on every channel, so one LeanSubscriber works with either.

import { SECRET } from '../test/helpers/server.js';
import { cpuSeconds } from './procstat.js';
import { ensureCentrifugoBinary, killAll, startCentrifugo, startTributary, type StartOptions } from './servers.js';

export type ConsumerTarget = 'tributary' | 'centrifugo';

export interface RunningTarget {
  wsUrl: string;
  /** Where /metrics is (Tributary's own histograms); null for Centrifugo. */
  httpUrl: string | null;
  /** The server's process id, for its CPU time. */
  pid: number | undefined;
  stop(): Promise<unknown>;
}

/** `--target`: a comma-separated list of tributary and centrifugo, run in that order. */
export function consumerTargets(list: string): ConsumerTarget[] {
  const targets = list.split(',').map((t) => t.trim());
  for (const t of targets) if (t !== 'tributary' && t !== 'centrifugo') throw new Error(`--target: tributary or centrifugo, not ${JSON.stringify(t)}`);
  process.on('exit', killAll); // servers the bench started go with it, however it ends
  return targets as ConsumerTarget[];
}

/** Server CPU microseconds per item since `from` (cpuSeconds at the start), or null without a pid. */
export function cpuMicrosPer(proc: RunningTarget, from: number | null, items: number): number | null {
  if (proc.pid === undefined || from === null) return null;
  return Math.round(((cpuSeconds(proc.pid) - from) * 1e6 * 10) / items) / 10;
}

/** The server's CPU seconds so far, or null without a pid. */
export function serverCpu(proc: RunningTarget): number | null {
  return proc.pid === undefined ? null : cpuSeconds(proc.pid);
}

export async function startConsumerTarget(
  target: ConsumerTarget,
  consumers: Record<string, unknown>[],
  opts: { build: 'tsx' | 'dist'; nodeArgs: string[]; historySize: number },
): Promise<RunningTarget> {
  const extraConfig = {
    client: { token: { hmac_secret_key: SECRET } },
    channel: { without_namespace: { allow_subscribe_for_client: true, history_size: opts.historySize, history_ttl: '600s' } },
    consumers,
  };
  const start: StartOptions = { build: opts.build, logLevel: 'info', nodeArgs: target === 'tributary' ? opts.nodeArgs : [], extraConfig };
  const t = target === 'centrifugo' ? await startCentrifugo(start, ensureCentrifugoBinary()) : await startTributary(start);
  return { wsUrl: t.wsUrl, httpUrl: target === 'tributary' ? t.apiUrl.replace(/\/api$/, '') : null, pid: t.pid, stop: () => t.stop() };
}
