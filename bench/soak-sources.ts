// The soak's publishers: the HTTP API, the PostgreSQL outbox and Kafka, each
// at its share of the rate, at the same time. Each source goes round-robin
// over every channel (from its own starting point) and numbers its
// publications per channel; the data is {"src":"h|o|k","s":N,"t":MICROS,"p":…}
// so a subscriber knows where a publication came from and how old it is. The
// loss check itself runs on the server's stream offsets (soak-tracker.ts); the
// per-channel counts here say how many publications each channel's stream
// should hold at the end.
//
// A source keeps one send in flight, and what falls due meanwhile goes in the
// next one (one API batch, one multi-row INSERT, one Kafka produce), so a
// source's publications reach the server in order and a slow sink shows as a
// backlog instead of a pile of requests.

import type { Producer } from 'kafkajs';
import type pg from 'pg';
import { nowUs } from './clock.js';

export type SourceName = 'http' | 'outbox' | 'kafka';
export const SOURCE_NAMES: SourceName[] = ['http', 'outbox', 'kafka'];
const LETTER: Record<SourceName, string> = { http: 'h', outbox: 'o', kafka: 'k' };
/** Bytes of each publication's data, padding included. */
const DATA_BYTES = 100;
const TICK_MS = 50;

interface Row {
  ch: number;
  data: string;
}

/** Sends rows; resolves with, per row, whether it was accepted. */
type Sink = (rows: Row[]) => Promise<boolean[]>;

export interface SourceStats {
  name: SourceName;
  created: number;
  accepted: number;
  errors: number;
  /** Created and not answered yet. */
  backlog: number;
  errorSamples: string[];
}

export class PacedSource {
  readonly stats: SourceStats;
  /** Publications accepted per channel index. */
  readonly acceptedPerChannel: number[];
  private readonly seq: number[];
  private queue: Row[] = [];
  private busy = false;
  private cursor: number;
  private timer: NodeJS.Timeout | undefined;
  private startedAt = 0;
  private createdSinceStart = 0;
  private idle: (() => void) | undefined;
  private readonly pad: string;

  constructor(
    readonly name: SourceName,
    private readonly channels: string[],
    private readonly sink: Sink,
    start: number,
  ) {
    this.stats = { name, created: 0, accepted: 0, errors: 0, backlog: 0, errorSamples: [] };
    this.acceptedPerChannel = new Array<number>(channels.length).fill(0);
    this.seq = new Array<number>(channels.length).fill(0);
    this.cursor = start % channels.length;
    this.pad = 'x'.repeat(Math.max(0, DATA_BYTES - '{"src":"h","s":100,"t":1000000000000000,"p":""}'.length));
  }

  start(perSecond: number): void {
    this.startedAt = nowUs();
    this.createdSinceStart = 0;
    clearInterval(this.timer);
    this.timer = setInterval(() => this.tick(perSecond), TICK_MS);
  }

  /** Stops creating publications and waits (at most `timeoutMs`) until every one created was answered. */
  async stop(timeoutMs: number): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.stats.backlog === 0) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, timeoutMs);
      this.idle = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  private tick(perSecond: number): void {
    const due = Math.floor((perSecond * (nowUs() - this.startedAt)) / 1e6) - this.createdSinceStart;
    if (due <= 0) return;
    const t = Math.round(nowUs());
    for (let k = 0; k < due; k++) {
      const ch = this.cursor;
      this.cursor = (ch + 1) % this.channels.length;
      const s = ++this.seq[ch]!;
      this.queue.push({ ch, data: `{"src":"${LETTER[this.name]}","s":${s},"t":${t},"p":"${this.pad}"}` });
    }
    this.createdSinceStart += due;
    this.stats.created += due;
    this.stats.backlog += due;
    this.flush();
  }

  private flush(): void {
    if (this.busy || this.queue.length === 0) return;
    const rows = this.queue;
    this.queue = [];
    this.busy = true;
    const settle = (ok: boolean[], why?: string): void => {
      rows.forEach((r, i) => {
        if (ok[i]) {
          this.stats.accepted++;
          this.acceptedPerChannel[r.ch]!++;
        } else this.stats.errors++;
      });
      if (why && this.stats.errorSamples.length < 5) this.stats.errorSamples.push(why.slice(0, 300));
      this.stats.backlog -= rows.length;
      this.busy = false;
      if (this.queue.length > 0) this.flush();
      else if (this.stats.backlog === 0 && this.idle) {
        const done = this.idle;
        this.idle = undefined;
        done();
      }
    };
    this.sink(rows).then(
      (ok) => settle(ok, ok.includes(false) ? `${this.name}: some publications refused` : undefined),
      (err: Error) => settle([], `${this.name}: ${err.message}`),
    );
  }
}

/** The HTTP API: one `batch` of publish commands per send; each reply says whether its publish was accepted. */
export function httpSink(apiUrl: string, apiKey: string, channels: string[]): Sink {
  return async (rows) => {
    const commands = rows.map((r) => `{"publish":{"channel":${JSON.stringify(channels[r.ch])},"data":${r.data}}}`);
    const res = await fetch(`${apiUrl}/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
      body: `{"commands":[${commands.join(',')}]}`,
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${text.slice(0, 200)}`);
    const replies = (JSON.parse(text) as { replies?: Array<{ error?: unknown }> }).replies ?? [];
    return rows.map((_, i) => replies[i] !== undefined && replies[i].error === undefined);
  };
}

/** The outbox: one multi-row INSERT per send, partition = channel index mod `partitions` (so a channel's rows stay in order). */
export function outboxSink(pool: pg.Pool, table: string, partitions: number, channels: string[]): Sink {
  return async (rows) => {
    const payloads = rows.map((r) => `{"channel":${JSON.stringify(channels[r.ch])},"data":${r.data}}`);
    const parts = rows.map((r) => r.ch % partitions);
    await pool.query(`INSERT INTO ${table} (method, payload, partition) SELECT 'publish', p::jsonb, part FROM unnest($1::text[], $2::int[]) AS x(p, part)`, [
      payloads,
      parts,
    ]);
    return rows.map(() => true);
  };
}

/** Kafka: one produce per send, keyed by channel (so a channel's records share a partition and stay in order). */
export function kafkaSink(producer: Producer, topic: string, channels: string[]): Sink {
  return async (rows) => {
    await producer.send({
      topic,
      messages: rows.map((r) => ({
        key: channels[r.ch]!,
        value: `{"method":"publish","payload":{"channel":${JSON.stringify(channels[r.ch])},"data":${r.data}}}`,
      })),
    });
    return rows.map(() => true);
  };
}
