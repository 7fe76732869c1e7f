// Bookkeeping for the surveys this node started: which nodes still owe a
// reply, and what has arrived. A survey settles when every awaited node has
// answered or left the registry, on timeout, or when the node shuts down;
// it always settles with what it has, never rejects, so the caller decides
// what a partial answer means.

export interface SurveyReply {
  code: number;
  data: unknown;
}

export interface SurveyOutcome {
  /** Replies by node uid. */
  replies: Map<string, SurveyReply>;
  /** Awaited nodes that did not answer (timed out, or left the registry meanwhile). */
  missing: string[];
  timedOut: boolean;
}

interface Pending {
  /** Awaited nodes that have neither answered nor left. */
  waiting: Set<string>;
  replies: Map<string, SurveyReply>;
  timer: NodeJS.Timeout;
  settle: (timedOut: boolean) => void;
}

export class Surveys {
  private readonly pending = new Map<string, Pending>();
  private seq = 0;

  /** Starts waiting for replies from `nodes`; `done` settles as described above. */
  open(nodes: readonly string[], timeoutMs: number): { id: string; done: Promise<SurveyOutcome> } {
    // Replies come back addressed to this node only, so a per-node counter is a unique id.
    const id = String(++this.seq);
    const waiting = new Set(nodes);
    const replies = new Map<string, SurveyReply>();
    let settle!: (timedOut: boolean) => void;
    const done = new Promise<SurveyOutcome>((resolve) => {
      settle = (timedOut) => {
        const p = this.pending.get(id);
        if (!p) return;
        clearTimeout(p.timer);
        this.pending.delete(id);
        resolve({ replies, missing: nodes.filter((uid) => !replies.has(uid)), timedOut });
      };
    });
    // Not unref()ed, unlike the heartbeat timers: a caller awaits this survey, and
    // the timer is what guarantees the await ends; it lasts one timeout at most.
    const timer = setTimeout(() => settle(true), timeoutMs);
    this.pending.set(id, { waiting, replies, timer, settle });
    if (waiting.size === 0) settle(false);
    return { id, done };
  }

  /** Records a reply; false when no such survey is waiting (late or unknown id). */
  reply(id: string, from: string, reply: SurveyReply): boolean {
    const p = this.pending.get(id);
    if (!p) return false;
    p.replies.set(from, reply);
    p.waiting.delete(from);
    if (p.waiting.size === 0) p.settle(false);
    return true;
  }

  /** A node left the registry: no survey waits for it any longer. */
  nodeGone(uid: string): void {
    for (const p of [...this.pending.values()]) {
      if (p.waiting.delete(uid) && p.waiting.size === 0) p.settle(false);
    }
  }

  /** Settles one survey now with what it has (e.g. its request could not be sent). */
  cancel(id: string): void {
    this.pending.get(id)?.settle(false);
  }

  /** Settles every open survey with what it has (shutdown). */
  settleAll(): void {
    for (const p of [...this.pending.values()]) p.settle(false);
  }

  get size(): number {
    return this.pending.size;
  }
}
