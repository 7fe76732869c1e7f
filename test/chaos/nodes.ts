// Tributary processes for the chaos scenarios (test/helpers/process.ts spawns
// them from src/ with tsx), the channel options every scenario shares, and
// small readers of what a node holds: a channel's history and /health.

import { randomBytes } from 'node:crypto';
import { api, nodeProcessConfig, spawnTributary, writeConfig, type Proc } from '../helpers/process.js';

/** Long history, so that a run's whole traffic can be read back at the end. */
const KEEP_ALL = { allow_subscribe_for_client: true, history_size: 100_000, history_ttl: '600s' };

/**
 * Channels without a namespace for the lean (raw protocol) subscribers of the
 * volume scenarios; `room:` for SDK subscribers, with force_recovery so that a
 * subscriber told about a gap recovers it from history, as an app would.
 */
export function chaosChannels(): Record<string, unknown> {
  return { without_namespace: KEEP_ALL, namespaces: [{ name: 'room', ...KEEP_ALL, force_recovery: true }] };
}

/** A node config on the Redis engine at `redisUrl` under a prefix of this run's own. */
export function redisNodeConfig(redisUrl: string, fields: Record<string, unknown> = {}, redis: Record<string, unknown> = {}): Record<string, unknown> {
  return nodeProcessConfig({
    engine: { type: 'redis', redis: { address: [redisUrl], prefix: uniqueName('chaos'), ...redis } },
    channel: chaosChannels(),
    ...fields,
  });
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** The Tributary processes of one scenario; whatever is still running at its end is killed. */
export class Nodes {
  private readonly procs: Proc[] = [];

  async start(config: Record<string, unknown> | string): Promise<Proc> {
    const file = typeof config === 'string' ? config : writeConfig(config);
    const proc = await spawnTributary(file, 60_000);
    this.procs.push(proc);
    return proc;
  }

  /** A node's config file, to start it again after a kill with the same settings. */
  static file(config: Record<string, unknown>): string {
    return writeConfig(config);
  }

  /** Processes that exited on their own (not killed by the scenario): a crash. */
  crashed(): Proc[] {
    return this.procs.filter((p) => p.proc.exitCode !== null && p.proc.signalCode === null && p.proc.exitCode !== 0);
  }

  async killAll(): Promise<void> {
    for (const p of this.procs) if (p.proc.exitCode === null && p.proc.signalCode === null) p.proc.kill('SIGKILL');
    await Promise.all(this.procs.map((p) => p.exited));
  }
}

export async function kill9(proc: Proc): Promise<void> {
  proc.proc.kill('SIGKILL');
  await proc.exited;
}

/** Messages the node's consumers have processed (committed rows, resolved records). */
async function processed(httpUrl: string): Promise<number> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  let sum = 0;
  for (const m of text.matchAll(/^centrifugo_consumers_messages_processed_total\{[^}]*\} (\d+)/gm)) sum += Number(m[1]);
  return sum;
}

/**
 * kill -9 once the node is seen processing (`rise` more messages since the
 * call), so that the kill lands while it has a batch in hand rather than while
 * it waits for a partition; after `ms` it is killed anyway. Whether it was
 * seen busy, for the report.
 */
export async function kill9WhileBusy(proc: Proc, rise: number, ms = 5000): Promise<boolean> {
  const from = await processed(proc.httpUrl);
  const deadline = Date.now() + ms;
  let busy = false;
  while (Date.now() < deadline && !busy) {
    busy = (await processed(proc.httpUrl)) >= from + rise;
    if (!busy) await new Promise((r) => setTimeout(r, 10));
  }
  await kill9(proc);
  return busy;
}

/** The numbers (data.i) in a channel's history, oldest first. */
export async function historyIds(httpUrl: string, channel: string): Promise<number[]> {
  const r = await api(httpUrl, 'history', { channel, limit: -1 });
  if (r.error) throw new Error(`history ${channel}: ${JSON.stringify(r.error)}`);
  return ((r.result.publications ?? []) as { data: { i: number } }[]).map((p) => p.data.i);
}

/** How many publications a channel's history holds (its top offset is enough while nothing expires). */
export async function historyTop(httpUrl: string, channel: string): Promise<number> {
  const r = await api(httpUrl, 'history', { channel, limit: 0 });
  return r.result?.offset ?? 0;
}

/** Samples by status, e.g. "200×40, 503×8, no answer×3" (0 is a request that got no answer in 2 s). */
export function healthSummary(seen: number[]): string {
  const counts = new Map<number, number>();
  for (const s of seen) counts.set(s, (counts.get(s) ?? 0) + 1);
  return [...counts].map(([s, n]) => `${s === 0 ? 'no answer' : s}×${n}`).join(', ');
}

export async function healthStatus(httpUrl: string): Promise<number> {
  try {
    return (await fetch(`${httpUrl}/health`, { signal: AbortSignal.timeout(2000) })).status;
  } catch {
    return 0;
  }
}

/** Samples /health every 250 ms until stopped: the statuses seen, for "stayed healthy" or "went 503 and came back". */
export function healthWatch(httpUrl: string): { seen: number[]; stop(): Promise<void> } {
  const seen: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      seen.push(await healthStatus(httpUrl));
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  return {
    seen,
    stop: () => {
      running = false;
      return loop;
    },
  };
}

/** Publications a node dropped as repeats of an idempotency key (what a replay after a kill re-published). */
export async function suppressedRepeats(httpUrl: string): Promise<number> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  return Number(/^centrifugo_broker_publish_suppressed_count (\d+)/m.exec(text)?.[1] ?? 0);
}
