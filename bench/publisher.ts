// The publisher: paced publications through the server HTTP API.
//
// A timer creates the publications that are due at rate R (round-robin over
// the channels), each stamped with its per-channel sequence number and the
// time it was created. Channels are split over `lanes`; each lane is one
// keep-alive HTTP connection with at most one request in flight, so the
// publications of a channel reach the server in order. Whatever piled up in a
// lane while its request was in flight leaves in the next request, as one
// `batch` of up to `batchMax` publishes (a lone publication uses `publish`).
//
// `flood()` drops the pacing: each lane creates a full batch whenever its
// previous request has been answered, so the publisher goes exactly as fast
// as the server acknowledges (the publish scenario). With several server
// nodes, lane i talks to node i mod N.

import http from 'node:http';
import { nowUs } from './clock.js';
import { Histogram } from './histogram.js';

export interface PublisherOptions {
  apiUrl: string;
  /** Several nodes' API URLs: lanes are spread over them round-robin (default: [apiUrl]). */
  apiUrls?: string[];
  apiKey: string;
  channels: string[];
  /** Size of each publication's data in bytes (at least the header's size). */
  size: number;
  lanes: number;
  batchMax: number;
  /** Sends batches with `"parallel": true` (the server may run their publishes concurrently; order within a channel is then not guaranteed). */
  parallel?: boolean;
  /** Timer period. */
  tickMs?: number;
}

interface Lane {
  queue: string[];
  busy: boolean;
  url: URL;
  /** The channel indexes this lane carries (ch % lanes), and where flood() is in them. */
  channels: number[];
  cursor: number;
}

export interface PublisherStats {
  /** Publications created (they carry sequence numbers). */
  created: number;
  /** Publications the server acknowledged without error. */
  acked: number;
  errors: number;
  requests: number;
  /** Publications still waiting in lanes or in flight. */
  backlog: number;
  errorSamples: string[];
  /** Request round trip (sent → response read), µs; reset with resetAckLatency(). */
  ackLatency: Histogram;
}

export class Publisher {
  /** Highest sequence number per channel index. */
  readonly seq: number[];
  private readonly lanes: Lane[];
  private readonly agent: http.Agent;
  private readonly channelJson: string[];
  private readonly pad: string;
  private rate = 0;
  private timer: NodeJS.Timeout | null = null;
  private startedAt = 0;
  private createdSinceStart = 0;
  private nextChannel = 0;
  private inFlight = 0;
  private drained: (() => void) | null = null;
  private flooding = false;
  readonly stats: PublisherStats = { created: 0, acked: 0, errors: 0, requests: 0, backlog: 0, errorSamples: [], ackLatency: new Histogram() };

  constructor(private readonly opts: PublisherOptions) {
    this.seq = new Array<number>(opts.channels.length).fill(0);
    const nLanes = Math.max(1, Math.min(opts.lanes, opts.channels.length));
    const urls = (opts.apiUrls && opts.apiUrls.length > 0 ? opts.apiUrls : [opts.apiUrl]).map((u) => new URL(u));
    this.lanes = Array.from({ length: nLanes }, (_, i) => ({
      queue: [],
      busy: false,
      url: urls[i % urls.length]!,
      channels: opts.channels.map((_, ch) => ch).filter((ch) => ch % nLanes === i),
      cursor: 0,
    }));
    // maxSockets is per host:port, so each node gets up to as many keep-alive connections as it has lanes.
    this.agent = new http.Agent({ keepAlive: true, maxSockets: nLanes, maxFreeSockets: nLanes });
    this.channelJson = opts.channels.map((c) => JSON.stringify(c));
    // {"s":<seq>,"t":<16 digits>,"p":"…"} — the padding makes the whole data `size` bytes for typical values.
    const header = '{"s":1000,"t":1000000000000000,"p":""}'.length;
    this.pad = 'x'.repeat(Math.max(0, opts.size - header));
  }

  /** Publishes `perSecond` from now on (0 pauses). Rate changes restart the pacing clock. */
  setRate(perSecond: number): void {
    this.rate = perSecond;
    this.startedAt = nowUs();
    this.createdSinceStart = 0;
    if (perSecond > 0 && this.timer === null) {
      const tick = this.opts.tickMs ?? 5;
      this.timer = setInterval(() => this.tick(), tick);
    }
    if (perSecond <= 0 && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  /** Publishes as fast as the server acknowledges: every lane keeps one request of `batchMax` publications in flight. */
  flood(): void {
    this.flooding = true;
    for (const lane of this.lanes) {
      if (lane.busy) continue;
      if (lane.queue.length === 0) this.refill(lane);
      this.flush(lane);
    }
  }

  /** Forgets the request latencies recorded so far (start of a measured window). */
  resetAckLatency(): void {
    this.stats.ackLatency.reset();
  }

  /** Stops creating publications and waits (at most `timeoutMs`) for what is queued or in flight. */
  async stop(timeoutMs = 10000): Promise<void> {
    this.flooding = false;
    this.setRate(0);
    if (this.backlog() > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, timeoutMs);
        this.drained = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    this.stats.backlog = this.backlog();
  }

  close(): void {
    this.setRate(0);
    this.agent.destroy();
  }

  backlog(): number {
    let n = this.inFlight;
    for (const l of this.lanes) n += l.queue.length;
    return n;
  }

  private tick(): void {
    const due = Math.floor((this.rate * (nowUs() - this.startedAt)) / 1e6) - this.createdSinceStart;
    if (due <= 0) return;
    const t = Math.round(nowUs());
    const nCh = this.seq.length;
    for (let k = 0; k < due; k++) {
      const ch = this.nextChannel;
      this.nextChannel = ch + 1 === nCh ? 0 : ch + 1;
      this.lanes[ch % this.lanes.length]!.queue.push(this.command(ch, t));
    }
    this.createdSinceStart += due;
    this.stats.created += due;
    for (const lane of this.lanes) if (!lane.busy && lane.queue.length > 0) this.flush(lane);
  }

  private command(ch: number, t: number): string {
    const s = ++this.seq[ch]!;
    return '{"channel":' + this.channelJson[ch] + ',"data":{"s":' + s + ',"t":' + t + ',"p":"' + this.pad + '"}}';
  }

  /** flood(): one batch for the lane, round-robin over its channels. */
  private refill(lane: Lane): void {
    const t = Math.round(nowUs());
    const chs = lane.channels;
    for (let k = 0; k < this.opts.batchMax; k++) {
      const ch = chs[lane.cursor]!;
      lane.cursor = lane.cursor + 1 === chs.length ? 0 : lane.cursor + 1;
      lane.queue.push(this.command(ch, t));
    }
    this.stats.created += this.opts.batchMax;
  }

  private flush(lane: Lane): void {
    const take = lane.queue.length <= this.opts.batchMax ? lane.queue.splice(0) : lane.queue.splice(0, this.opts.batchMax);
    const n = take.length;
    const single = n === 1;
    const body = single ? take[0]! : '{"commands":[{"publish":' + take.join('},{"publish":') + '}]' + (this.opts.parallel ? ',"parallel":true}' : '}');
    const sentAt = nowUs();
    lane.busy = true;
    this.inFlight += n;
    this.stats.requests++;
    let finished = false;
    const done = (errors: number, sampleText?: string): void => {
      if (finished) return;
      finished = true;
      this.inFlight -= n;
      this.stats.acked += n - errors;
      this.stats.errors += errors;
      if (sampleText && this.stats.errorSamples.length < 5) this.stats.errorSamples.push(sampleText.slice(0, 300));
      this.stats.ackLatency.record(nowUs() - sentAt);
      lane.busy = false;
      if (this.flooding && lane.queue.length === 0) this.refill(lane);
      if (lane.queue.length > 0) this.flush(lane);
      else if (this.drained && this.backlog() === 0) {
        const d = this.drained;
        this.drained = null;
        d();
      }
    };
    const req = http.request(
      {
        host: lane.url.hostname,
        port: lane.url.port,
        path: lane.url.pathname.replace(/\/+$/, '') + (single ? '/publish' : '/batch'),
        method: 'POST',
        agent: this.agent,
        headers: {
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(body),
          'X-API-Key': this.opts.apiKey,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200) return done(n, `HTTP ${res.statusCode}: ${text}`);
          const errs = countOccurrences(text, '"error"');
          done(Math.min(n, errs), errs > 0 ? text : undefined);
        });
        res.on('error', (err) => done(n, err.message));
      },
    );
    req.on('error', (err) => done(n, err.message));
    req.end(body);
  }
}

function countOccurrences(text: string, needle: string): number {
  let n = 0;
  for (let i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + needle.length)) n++;
  return n;
}
