// The delta scenario: bytes on the wire with fossil delta against full
// publications, for an evolving JSON document.
//
// N subscribers ask for `delta: "fossil"` and N more subscribe plainly, all
// to one channel of a namespace with history, recovery and
// `allowed_delta_types: ["fossil"]`. The bench then publishes K versions of a
// ~5 KB JSON document through the HTTP API (`delta: true`), each version
// changing a few fields of one item of a list plus a version counter. Every
// delta subscriber rebuilds each version from the patches, the way the SDK
// does (apply the fossil patch to the previous full text), and compares it
// byte for byte with what was published. Every subscriber counts the bytes of
// the publication messages it receives, so the two groups can be compared.
//
// Unlike the load scenarios, correctness matters more than speed here: the
// connections are `ws` clients in the bench's own process and every message
// is parsed.

import { applyDelta } from 'fossil-delta';
import { SignJWT } from 'jose';
import { WebSocket } from 'ws';
import { rssBytes } from './procstat.js';
import { deepMerge, serverProblems, type Target } from './servers.js';
import type { Verdict } from './report.js';

/** The namespace the delta scenario publishes in (merged into the generated Tributary config). */
export const DELTA_NAMESPACE = 'delta';

export const DELTA_NAMESPACE_CONFIG = {
  name: DELTA_NAMESPACE,
  allow_subscribe_for_client: true,
  history_size: 100,
  history_ttl: '300s',
  force_recovery: true,
  allowed_delta_types: ['fossil'],
  delta_publish: true,
};

/**
 * The Tributary config additions for this scenario: the `bench` namespace the
 * generated config has anyway, plus the delta namespace. What the user gives
 * with --server-config is merged over this (a `namespaces` array there
 * replaces the whole list, as everywhere in the generated config).
 */
export function deltaServerConfig(user: Record<string, unknown> | undefined, generated: Record<string, unknown>): Record<string, unknown> {
  const gen = generated as { channel?: { namespaces?: unknown[] } };
  const namespaces = [...(gen.channel?.namespaces ?? []), DELTA_NAMESPACE_CONFIG];
  const extra: Record<string, unknown> = { channel: { namespaces } };
  if (user) deepMerge(extra, user);
  return extra;
}

export interface DeltaOptions {
  /** Subscribers in each group: this many with delta, this many without. */
  conns: number;
  channel: string;
  /** Versions of the document published. */
  publications: number;
  /** Publications per second. */
  rate: number;
  /** Approximate size of the document, bytes. */
  size: number;
  /** Items changed per version. */
  changes: number;
  drain: number;
  rampBatch: number;
  connectTimeout: number;
  quiet: boolean;
}

export interface DeltaGroup {
  /** Subscribers in the group that got their subscribe reply. */
  subscribed: number;
  /** Publication messages received, all subscribers of the group together. */
  messages: number;
  /** Bytes of those publication messages (the WebSocket payload, newline separators not counted). */
  publicationBytes: number;
  /** publicationBytes / subscribed. */
  publicationBytesPerSub: number;
  /** Everything received after the subscribe reply, WebSocket frame headers included (pings too). */
  frameBytes: number;
  frameBytesPerSub: number;
  /** Publications that arrived as full data (for delta subscribers: `delta` absent). */
  full: number;
  /** Publications that arrived as fossil patches (`delta: true`). */
  patches: number;
  /** Publications whose data (rebuilt from patches, for delta subscribers) differs from what was published. */
  mismatches: number;
  /** Patches that could not be applied (no base, bad checksum, malformed). Included in mismatches. */
  patchErrors: number;
  /** Published versions a subscriber never received, all subscribers together. */
  lost: number;
  /** Versions a subscriber received more than once or out of order. */
  dup: number;
  /** Subscribers closed by the server after they subscribed. */
  disconnects: number;
}

export interface DeltaResult {
  scenario: 'delta';
  target: string;
  channel: string;
  /** Versions published and acknowledged by the API. */
  publications: number;
  publishErrors: number;
  publishErrorSamples: string[];
  /** Publications per second the publisher achieved. */
  publishedPerSec: number;
  /** Document size: smallest, mean and largest version, bytes. */
  docBytesMin: number;
  docBytesMean: number;
  docBytesMax: number;
  /** The patches' sizes as the delta subscribers received them (the decoded `data` string), mean bytes. */
  patchBytesMean: number;
  /** Delta subscribers whose subscribe reply said `delta: true`. */
  deltaNegotiated: number;
  connectFailures: number;
  connectErrors: Record<string, number>;
  plain: DeltaGroup;
  delta: DeltaGroup;
  /** 1 − delta bytes per subscriber / full (plain) bytes per subscriber, %. */
  savingPct: number;
  /** Publication bytes saved per delta subscriber against a plain one. */
  bytesSavedPerSub: number;
  /** The same saving over everything on the WebSocket (frame headers and pings included), %. */
  frameSavingPct: number;
  seconds: number;
  otherMessages: number;
  otherSamples: string[];
  serverAlive: boolean;
  serverLogProblems: number;
  serverLogSamples: string[];
  notes: string[];
}

// --- the document -----------------------------------------------------------

/** Deterministic pseudo-random numbers (mulberry32), so every run publishes the same versions. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Item {
  id: number;
  sku: string;
  name: string;
  status: string;
  price: number;
  qty: number;
  rating: number;
  tags: string[];
  updated: number;
}

const STATUSES = ['active', 'paused', 'sold_out', 'backorder'];
const TAGS = ['red', 'green', 'blue', 'large', 'small', 'sale', 'new', 'eco', 'import', 'local'];
const WORDS = ['alpha', 'bravo', 'cobalt', 'delta', 'ember', 'fjord', 'garnet', 'harbor', 'indigo', 'juniper', 'kestrel', 'lumen'];

/**
 * An evolving document: `{"version":V,"updated":T,"items":[…]}` with as many
 * items (about 160 bytes each: 32 of them at 5 KB) as make it `size` bytes. Each next version bumps
 * the counter and timestamp and changes price, quantity and updated (sometimes
 * the status) of `changes` items. ASCII only, so every patch is valid UTF-8.
 */
export class EvolvingDocument {
  private readonly rnd = prng(0x7269_6275);
  private readonly items: Item[] = [];
  private version = 0;
  private readonly t0 = 1_767_225_600; // a fixed clock, seconds

  constructor(
    size: number,
    private readonly changes: number,
  ) {
    for (let i = 0; this.items.length === 0 || this.render().length < size; i++) this.items.push(this.item(i));
  }

  private pick<T>(list: T[]): T {
    return list[Math.floor(this.rnd() * list.length)]!;
  }

  private item(i: number): Item {
    return {
      id: 1000 + i,
      sku: `SKU-${String(10000 + i * 37).padStart(6, '0')}`,
      name: `${this.pick(WORDS)} ${this.pick(WORDS)} ${i}`,
      status: this.pick(STATUSES),
      price: Math.round(this.rnd() * 100000) / 100,
      qty: Math.floor(this.rnd() * 500),
      rating: Math.round(this.rnd() * 50) / 10,
      tags: [this.pick(TAGS), this.pick(TAGS)],
      updated: this.t0,
    };
  }

  private render(): string {
    return JSON.stringify({ version: this.version, updated: this.t0 + this.version, items: this.items });
  }

  /** The next version's JSON text (the first call gives version 1). */
  next(): string {
    this.version++;
    if (this.version > 1) {
      for (let c = 0; c < this.changes; c++) {
        const it = this.items[Math.floor(this.rnd() * this.items.length)]!;
        it.price = Math.round(this.rnd() * 100000) / 100;
        it.qty = Math.floor(this.rnd() * 500);
        it.updated = this.t0 + this.version;
        if (this.rnd() < 0.2) it.status = this.pick(STATUSES);
      }
    }
    return this.render();
  }
}

const VERSION_PREFIX = Buffer.from('{"version":');

/** The version counter at the start of a document's bytes, or -1. */
function versionOf(doc: Uint8Array): number {
  for (let i = 0; i < VERSION_PREFIX.length; i++) if (doc[i] !== VERSION_PREFIX[i]) return -1;
  let v = 0;
  let i = VERSION_PREFIX.length;
  for (; i < doc.length && doc[i]! >= 0x30 && doc[i]! <= 0x39; i++) v = v * 10 + (doc[i]! - 0x30);
  return i > VERSION_PREFIX.length && doc[i] === 0x2c ? v : -1;
}

// --- subscribers ------------------------------------------------------------

interface Sub {
  index: number;
  wantDelta: boolean;
  ws: WebSocket | null;
  subscribed: boolean;
  negotiated: boolean;
  /** The delta subscriber's base: the last full document text, as UTF-8 bytes. */
  base: Uint8Array | null;
  seen: Uint8Array;
  lastVersion: number;
  messages: number;
  publicationBytes: number;
  frameBytes: number;
  full: number;
  patches: number;
  /** Bytes of the patches themselves (the decoded data strings). */
  patchDataBytes: number;
  mismatches: number;
  patchErrors: number;
  dup: number;
  disconnected: boolean;
  closeCode: number;
}

interface PushPub {
  data?: unknown;
  delta?: boolean;
  offset?: number;
}

interface Incoming {
  id?: number;
  error?: { code: number; message: string };
  subscribe?: { delta?: boolean };
  push?: { channel?: string; pub?: PushPub };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Bytes of an unmasked server→client frame header for a payload of n bytes. */
const frameHeader = (n: number) => (n < 126 ? 2 : n < 65536 ? 4 : 10);

class Subscribers {
  readonly subs: Sub[] = [];
  readonly errors: Record<string, number> = {};
  otherMessages = 0;
  readonly otherSamples: string[] = [];
  private closing = false;

  constructor(
    private readonly opts: DeltaOptions,
    private readonly target: Target,
    /** UTF-8 bytes of every published version, index = version. */
    private readonly published: Buffer[],
  ) {}

  private other(text: string): void {
    this.otherMessages++;
    if (this.otherSamples.length < 5) this.otherSamples.push(text.length > 300 ? text.slice(0, 300) + '…' : text);
  }

  async open(): Promise<void> {
    const key = new TextEncoder().encode(this.target.tokenSecret);
    const total = this.opts.conns * 2;
    for (let i = 0; i < total; i++) {
      this.subs.push({
        index: i,
        // Alternate, so that both groups see the same conditions.
        wantDelta: i % 2 === 0,
        ws: null,
        subscribed: false,
        negotiated: false,
        base: null,
        seen: new Uint8Array(this.opts.publications + 1),
        lastVersion: 0,
        messages: 0,
        publicationBytes: 0,
        frameBytes: 0,
        full: 0,
        patches: 0,
        patchDataBytes: 0,
        mismatches: 0,
        patchErrors: 0,
        dup: 0,
        disconnected: false,
        closeCode: 0,
      });
    }
    for (let b = 0; b < total; b += this.opts.rampBatch) {
      const batch = this.subs.slice(b, b + this.opts.rampBatch);
      await Promise.all(batch.map((s) => this.connect(s, key)));
      if (!this.opts.quiet) process.stderr.write(`\r[delta] ${this.subs.filter((s) => s.subscribed).length}/${total} subscribed   `);
    }
    if (!this.opts.quiet) process.stderr.write('\n');
  }

  private connect(s: Sub, key: Uint8Array): Promise<void> {
    return new Promise((resolve) => {
      let settled = false;
      const fail = (reason: string) => {
        if (settled) return;
        settled = true;
        this.errors[reason] = (this.errors[reason] ?? 0) + 1;
        s.ws?.terminate();
        resolve();
      };
      const timer = setTimeout(() => fail('no connect/subscribe reply in time'), this.opts.connectTimeout * 1000);
      const ws = new WebSocket(this.target.wsUrl, { perMessageDeflate: false, handshakeTimeout: this.opts.connectTimeout * 1000 });
      s.ws = ws;
      ws.on('open', () => {
        void new SignJWT({ sub: `bench-delta-${s.index}` })
          .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
          .setExpirationTime(Math.floor(Date.now() / 1000) + 24 * 3600)
          .sign(key)
          .then((token) => {
            const sub: Record<string, unknown> = { channel: this.opts.channel };
            if (s.wantDelta) sub.delta = 'fossil';
            ws.send(JSON.stringify({ id: 1, connect: { token, name: 'tributary-bench' } }) + '\n' + JSON.stringify({ id: 2, subscribe: sub }));
          })
          .catch((err: Error) => fail(`token: ${err.message}`));
      });
      ws.on('message', (data: Buffer) => {
        const wasSubscribed = s.subscribed;
        if (wasSubscribed) s.frameBytes += data.length + frameHeader(data.length);
        let ls = 0;
        while (ls < data.length) {
          let le = data.indexOf(0x0a, ls);
          if (le < 0) le = data.length;
          if (le > ls) this.line(s, data, ls, le);
          ls = le + 1;
        }
        if (!wasSubscribed && s.subscribed && !settled) {
          settled = true;
          clearTimeout(timer);
          resolve();
        }
      });
      ws.on('error', (err: NodeJS.ErrnoException) => fail(err.code ?? err.message));
      ws.on('close', (code: number) => {
        s.ws = null;
        s.closeCode = code;
        if (s.subscribed) {
          if (!this.closing) s.disconnected = true;
        } else fail(`closed with code ${code} before subscribing`);
      });
    });
  }

  /** One protocol message: data[ls, le). */
  private line(s: Sub, data: Buffer, ls: number, le: number): void {
    if (le - ls === 2 && data[ls] === 0x7b && data[ls + 1] === 0x7d) {
      s.ws?.send('{}'); // ping → pong
      return;
    }
    const text = data.toString('utf8', ls, le);
    let msg: Incoming;
    try {
      msg = JSON.parse(text) as Incoming;
    } catch {
      this.other(text);
      return;
    }
    if (msg.error) {
      this.other(text);
      if (!s.subscribed) {
        const reason = `server error ${msg.error.code} ${msg.error.message} (command id ${msg.id})`;
        this.errors[reason] = (this.errors[reason] ?? 0) + 1;
        s.ws?.terminate();
      }
      return;
    }
    if (msg.id === 2 && msg.subscribe !== undefined) {
      s.subscribed = true;
      s.negotiated = msg.subscribe.delta === true;
      return;
    }
    if (msg.id === 1) return; // connect reply
    const pub = msg.push?.pub;
    if (!pub || msg.push?.channel !== this.opts.channel || !s.subscribed) {
      this.other(text);
      return;
    }
    s.messages++;
    s.publicationBytes += le - ls;
    if (s.wantDelta && s.negotiated) this.deltaPublication(s, pub);
    else this.plainPublication(s, pub);
  }

  private deltaPublication(s: Sub, pub: PushPub): void {
    if (typeof pub.data !== 'string') {
      // Once delta is negotiated every publication's data is a JSON string.
      s.mismatches++;
      s.patchErrors++;
      s.base = null;
      return;
    }
    const bytes = Buffer.from(pub.data, 'utf8');
    let doc: Uint8Array;
    if (pub.delta === true) {
      s.patches++;
      s.patchDataBytes += bytes.length;
      if (!s.base) {
        s.mismatches++;
        s.patchErrors++;
        return;
      }
      try {
        doc = applyDelta(s.base, bytes, { verifyChecksum: true });
      } catch {
        s.mismatches++;
        s.patchErrors++;
        // Later patches build on a base this subscriber does not have.
        s.base = null;
        return;
      }
    } else {
      s.full++;
      doc = bytes;
    }
    s.base = doc;
    this.check(s, doc);
  }

  private plainPublication(s: Sub, pub: PushPub): void {
    if (pub.delta === true) s.patches++;
    else s.full++;
    if (pub.data === null || typeof pub.data !== 'object') {
      s.mismatches++;
      return;
    }
    // The bench publishes JSON.stringify output, which a parse/stringify round trip reproduces exactly.
    this.check(s, Buffer.from(JSON.stringify(pub.data), 'utf8'));
  }

  private check(s: Sub, doc: Uint8Array): void {
    const v = versionOf(doc);
    const want = v > 0 ? this.published[v] : undefined;
    if (!want || want.length !== doc.length || !want.equals(doc)) {
      s.mismatches++;
      return;
    }
    if (s.seen[v] || v <= s.lastVersion) s.dup++;
    s.seen[v] = 1;
    if (v > s.lastVersion) s.lastVersion = v;
  }

  received(): number {
    let n = 0;
    for (const s of this.subs) if (s.subscribed) n += s.messages;
    return n;
  }

  close(): void {
    this.closing = true;
    for (const s of this.subs) s.ws?.terminate();
  }
}

function group(subs: Sub[], acked: Uint8Array): DeltaGroup {
  const g: DeltaGroup = {
    subscribed: 0,
    messages: 0,
    publicationBytes: 0,
    publicationBytesPerSub: Number.NaN,
    frameBytes: 0,
    frameBytesPerSub: Number.NaN,
    full: 0,
    patches: 0,
    mismatches: 0,
    patchErrors: 0,
    lost: 0,
    dup: 0,
    disconnects: 0,
  };
  for (const s of subs) {
    if (!s.subscribed) continue;
    g.subscribed++;
    g.messages += s.messages;
    g.publicationBytes += s.publicationBytes;
    g.frameBytes += s.frameBytes;
    g.full += s.full;
    g.patches += s.patches;
    g.mismatches += s.mismatches;
    g.patchErrors += s.patchErrors;
    g.dup += s.dup;
    if (s.disconnected) g.disconnects++;
    for (let v = 1; v < acked.length; v++) if (acked[v] && !s.seen[v]) g.lost++;
  }
  if (g.subscribed > 0) {
    g.publicationBytesPerSub = g.publicationBytes / g.subscribed;
    g.frameBytesPerSub = g.frameBytes / g.subscribed;
  }
  return g;
}

// --- publishing -------------------------------------------------------------

async function publishOne(target: Target, channel: string, doc: string): Promise<string | null> {
  const body = `{"channel":${JSON.stringify(channel)},"data":${doc},"delta":true}`;
  try {
    const res = await fetch(`${target.apiUrl}/publish`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-API-Key': target.apiKey },
      body,
      signal: AbortSignal.timeout(10000),
    });
    const text = await res.text();
    if (res.status !== 200) return `HTTP ${res.status}: ${text.slice(0, 300)}`;
    const reply = JSON.parse(text) as { error?: unknown };
    return reply.error ? text.slice(0, 300) : null;
  } catch (err) {
    return (err as Error).message;
  }
}

// --- the run ----------------------------------------------------------------

export async function runDelta(opts: DeltaOptions, target: Target): Promise<DeltaResult> {
  const log = (text: string) => {
    if (!opts.quiet) process.stderr.write(text + '\n');
  };
  const notes: string[] = [];
  const docs = new EvolvingDocument(opts.size, opts.changes);
  const published: Buffer[] = [Buffer.alloc(0)];
  for (let v = 1; v <= opts.publications; v++) published.push(Buffer.from(docs.next(), 'utf8'));
  const subs = new Subscribers(opts, target, published);

  try {
    await subs.open();
    const subscribed = subs.subs.filter((s) => s.subscribed);
    const deltaSubs = subs.subs.filter((s) => s.wantDelta);
    const plainSubs = subs.subs.filter((s) => !s.wantDelta);
    const negotiated = deltaSubs.filter((s) => s.subscribed && s.negotiated).length;
    const failed = subs.subs.length - subscribed.length;
    log(
      `[delta/${target.name}] ${subscribed.length} subscribed (${negotiated} with delta negotiated), ${failed} failed${failed ? ' ' + JSON.stringify(subs.errors) : ''}`,
    );
    if (subscribed.length === 0) throw new Error(`no connection could subscribe: ${JSON.stringify(subs.errors)}`);
    if (negotiated < deltaSubs.filter((s) => s.subscribed).length) {
      notes.push(
        `${deltaSubs.filter((s) => s.subscribed).length - negotiated} delta subscribers were answered without delta: true ` +
          `(does the channel's namespace allow fossil delta, with history and recovery?)`,
      );
    }

    await sleep(500);
    const docSizes = published.slice(1).map((b) => b.length);
    log(
      `[delta/${target.name}] publishing ${opts.publications} versions of a ${Math.round(docSizes.reduce((a, b) => a + b, 0) / docSizes.length)} B document ` +
        `at ${opts.rate}/s to ${opts.channel}`,
    );
    const acked = new Uint8Array(opts.publications + 1);
    let publishErrors = 0;
    const errorSamples: string[] = [];
    const start = Date.now();
    for (let v = 1; v <= opts.publications; v++) {
      const due = start + ((v - 1) * 1000) / opts.rate;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
      const err = await publishOne(target, opts.channel, published[v]!.toString('utf8'));
      if (err === null) acked[v] = 1;
      else {
        publishErrors++;
        if (errorSamples.length < 5) errorSamples.push(err);
      }
      if (!opts.quiet && (v % 20 === 0 || v === opts.publications)) process.stderr.write(`\r[delta/${target.name}] published ${v}/${opts.publications}   `);
    }
    const publishSeconds = (Date.now() - start) / 1000;
    if (!opts.quiet) process.stderr.write('\n');
    const nAcked = acked.reduce((a, b) => a + b, 0);

    // Drain: until every subscriber has every acknowledged version, nothing moves for 2 s, or time runs out.
    const expected = subscribed.length * nAcked;
    const deadline = Date.now() + opts.drain * 1000;
    let last = -1;
    let stableSince = Date.now();
    while (Date.now() < deadline) {
      const got = subs.received();
      if (got >= expected) break;
      if (got !== last) {
        last = got;
        stableSince = Date.now();
      } else if (Date.now() - stableSince > 2000) break;
      await sleep(100);
    }

    const plain = group(plainSubs, acked);
    const delta = group(deltaSubs, acked);
    const savingPct = (1 - delta.publicationBytesPerSub / plain.publicationBytesPerSub) * 100;
    const frameSavingPct = (1 - delta.frameBytesPerSub / plain.frameBytesPerSub) * 100;
    // The patches' own size (the `data` string decoded), next to the document's.
    let patchBytes = 0;
    let patchCount = 0;
    for (const s of deltaSubs) {
      if (!s.subscribed || !s.negotiated) continue;
      patchBytes += s.patchDataBytes;
      patchCount += s.patches;
    }

    const problems = serverProblems(target.logFile);
    const result: DeltaResult = {
      scenario: 'delta',
      target: target.name,
      channel: opts.channel,
      publications: nAcked,
      publishErrors,
      publishErrorSamples: errorSamples,
      publishedPerSec: Math.round((opts.publications / publishSeconds) * 10) / 10,
      docBytesMin: Math.min(...docSizes),
      docBytesMean: Math.round(docSizes.reduce((a, b) => a + b, 0) / docSizes.length),
      docBytesMax: Math.max(...docSizes),
      patchBytesMean: patchCount > 0 ? Math.round((patchBytes / patchCount) * 10) / 10 : Number.NaN,
      deltaNegotiated: negotiated,
      connectFailures: failed,
      connectErrors: subs.errors,
      plain,
      delta,
      savingPct,
      bytesSavedPerSub: plain.publicationBytesPerSub - delta.publicationBytesPerSub,
      frameSavingPct,
      seconds: publishSeconds,
      otherMessages: subs.otherMessages,
      otherSamples: subs.otherSamples,
      serverAlive: target.pid === undefined || !Number.isNaN(rssBytes(target.pid)),
      serverLogProblems: problems.count,
      serverLogSamples: problems.samples,
      notes,
    };
    if (result.publishedPerSec < opts.rate * 0.9) notes.push(`publisher reached only ${result.publishedPerSec}/s of ${opts.rate}/s`);
    if (plain.subscribed === 0 || delta.subscribed === 0) notes.push('one of the groups has no subscriber: no comparison');
    if (!result.serverAlive) notes.push('the server process died during the run');
    log(
      `[delta/${target.name}] done: ${fmtInt(plain.publicationBytesPerSub)} B full vs ${fmtInt(delta.publicationBytesPerSub)} B delta per subscriber ` +
        `(${savingPct.toFixed(1)}% saved), ${plain.mismatches + delta.mismatches} mismatches, ${plain.lost + delta.lost} lost`,
    );
    return result;
  } finally {
    subs.close();
  }
}

// --- output -----------------------------------------------------------------

const fmtInt = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-');
const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

export function deltaVerdicts(r: DeltaResult | undefined): Verdict[] {
  if (!r) {
    return [
      { label: 'fossil delta: >= 70% fewer bytes on the wire than full publications', pass: null, detail: 'Tributary was not run' },
      { label: 'every delta subscriber rebuilds every version byte for byte (0 mismatches)', pass: null, detail: 'Tributary was not run' },
    ];
  }
  const mismatches = r.plain.mismatches + r.delta.mismatches;
  const lost = r.plain.lost + r.delta.lost;
  const comparable = r.plain.subscribed > 0 && r.delta.subscribed > 0 && r.publications > 0;
  return [
    {
      label: 'fossil delta: >= 70% fewer bytes on the wire than full publications',
      pass: comparable ? r.savingPct >= 70 : false,
      detail: comparable
        ? `${fmt(r.savingPct, 1)}% fewer (${fmtInt(r.delta.publicationBytesPerSub)} vs ${fmtInt(r.plain.publicationBytesPerSub)} B per subscriber, ${fmtInt(r.bytesSavedPerSub)} B saved)`
        : 'no comparison (a group has no subscriber or nothing was published)',
    },
    {
      label: 'every delta subscriber rebuilds every version byte for byte (0 mismatches)',
      pass: comparable && mismatches === 0 && r.deltaNegotiated === r.delta.subscribed,
      detail:
        `mismatches ${mismatches} (delta ${r.delta.mismatches}, of which ${r.delta.patchErrors} patch errors; plain ${r.plain.mismatches})` +
        (r.deltaNegotiated === r.delta.subscribed ? '' : `; delta negotiated for only ${r.deltaNegotiated} of ${r.delta.subscribed}`),
    },
    { label: 'no publication lost', pass: comparable && lost === 0, detail: `lost ${lost} (delta ${r.delta.lost}, plain ${r.plain.lost})` },
  ];
}

export function deltaTable(r: DeltaResult): string {
  const perSub = (g: DeltaGroup, n: number) => (g.subscribed > 0 ? fmt(n / g.subscribed, 1) : '-');
  const head = ['subscribers', 'subscribed', 'pubs/sub', 'full/sub', 'patches/sub', 'bytes/sub', 'B/pub', 'frame bytes/sub', 'mismatch', 'lost', 'dup', 'disc'];
  const row = (name: string, g: DeltaGroup) => [
    name,
    fmtInt(g.subscribed),
    perSub(g, g.messages),
    perSub(g, g.full),
    perSub(g, g.patches),
    fmtInt(g.publicationBytesPerSub),
    g.messages > 0 ? fmt(g.publicationBytes / g.messages, 1) : '-',
    fmtInt(g.frameBytesPerSub),
    fmtInt(g.mismatches),
    fmtInt(g.lost),
    fmtInt(g.dup),
    fmtInt(g.disconnects),
  ];
  const rows = [head, row('full (no delta)', r.plain), row('fossil delta', r.delta)];
  const widths = head.map((_, i) => Math.max(...rows.map((x) => x[i]!.length)));
  const line = (x: string[]) => x.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [
    `delta/${r.target}: ${fmtInt(r.publications)} publications to ${r.channel} at ${fmt(r.publishedPerSec, 1)}/s, document ${fmtInt(r.docBytesMin)}–${fmtInt(r.docBytesMax)} B ` +
      `(mean ${fmtInt(r.docBytesMean)}), mean patch ${fmt(r.patchBytesMean, 1)} B`,
    '',
    line(head),
    widths.map((w) => '-'.repeat(w)).join('  '),
    line(rows[1]!),
    line(rows[2]!),
    '',
    `bytes saved: ${fmtInt(r.bytesSavedPerSub)} B per subscriber over ${fmtInt(r.publications)} publications, ` +
      `${fmt(r.savingPct, 1)}% fewer publication bytes; ${fmt(r.frameSavingPct, 1)}% fewer counting everything on the WebSocket (frame headers, pings)`,
  ].join('\n');
}
