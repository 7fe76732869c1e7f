// The Consumers page's data: every consumer of this node with its health,
// rate (rows or records a second, from its processed counter between two
// looks) and kind-specific figures, and the outbox dead letters behind
// list / retry / delete. A status that cannot be read (the database is down)
// is reported beside the rest, not as a failed page.

import type { Consumer } from '../consumers/consumer.js';
import { MAX_IDS } from '../consumers/postgres-outbox/dead-letters.js';

export class ConsumersView {
  /** The processed total and time of each consumer's previous look. */
  private readonly last = new Map<string, { at: number; total: number }>();

  constructor(private readonly consumers: () => readonly Consumer[]) {}

  async list(): Promise<unknown[]> {
    return Promise.all(this.consumers().map((c) => this.one(c)));
  }

  private async one(c: Consumer): Promise<Record<string, unknown>> {
    const health = c.health();
    const out: Record<string, unknown> = { name: c.name, type: c.type, healthy: health.healthy, rate_per_sec: null, dead_letters: c.deadLetters !== undefined };
    if (health.detail) out.detail = health.detail;
    if (!c.adminStatus) return out;
    try {
      const { processed_total, ...rest } = await c.adminStatus();
      const now = Date.now();
      const prev = this.last.get(c.name);
      this.last.set(c.name, { at: now, total: processed_total });
      if (prev && now > prev.at) out.rate_per_sec = Math.round(((processed_total - prev.total) / ((now - prev.at) / 1000)) * 10) / 10;
      Object.assign(out, rest);
    } catch (err) {
      out.error = (err as Error).message;
    }
    return out;
  }

  /** The consumer by name, when it keeps dead letters the admin can touch. */
  deadLetters(name: string) {
    return this.consumers().find((c) => c.name === name)?.deadLetters;
  }
}

/** The `ids` of a retry or delete request, or why they are not. */
export function parseIds(body: unknown): number[] | string {
  const ids = (body as { ids?: unknown } | null)?.ids;
  if (!Array.isArray(ids) || ids.length === 0) return 'ids must be a non-empty list';
  if (ids.length > MAX_IDS) return `at most ${MAX_IDS} ids at once`;
  if (!ids.every((id) => typeof id === 'number' && Number.isSafeInteger(id) && id > 0)) return 'ids must be positive integers';
  return ids as number[];
}
