// One Redis shard: a command connection (commands written in call order,
// auto-pipelined only on a Redis Cluster, see connection.ts; scripts loaded
// once and run by SHA), shared by the broker and the presence manager that use the
// shard, and a dedicated PUB/SUB connection that only a broker opens
// (startPubSub): a presence manager never needs one. The shard keeps the set
// of PUB/SUB channels the node wants, applies changes in batches, and after a
// lost PUB/SUB link restores every subscription before telling the broker
// which channels may have missed messages.

import type { Logger } from '../../log.js';
import type { RedisEngineOptions } from '../../config/redis.js';
import type { RedisShardAddress } from '../../util/redis-url.js';
import { EngineUnavailableError } from '../availability.js';
import { createClient, disconnectClient, type RedisClient } from './connection.js';
import type { RedisMetrics } from './metrics.js';
import { HISTORY_ADD, HISTORY_READ, PRESENCE_ADD, PRESENCE_GET, PRESENCE_REMOVE, PUBLISH_IDEMPOTENT, PUBLISH_ON_SLOT, type ScriptDef } from './lua.js';

const SCRIPTS = {
  historyAdd: HISTORY_ADD,
  historyRead: HISTORY_READ,
  publishIdempotent: PUBLISH_IDEMPOTENT,
  publishOnSlot: PUBLISH_ON_SLOT,
  presenceAdd: PRESENCE_ADD,
  presenceGet: PRESENCE_GET,
  presenceRemove: PRESENCE_REMOVE,
} satisfies Record<string, ScriptDef>;
export type ScriptName = keyof typeof SCRIPTS;

/** How often the PUB/SUB link is PINGed (Centrifugo probes an idle link after 30 s). */
const PROBE_INTERVAL_MS = 10_000;
/** Channels per SUBSCRIBE/UNSUBSCRIBE command when many change at once (as Centrifugo). */
const SUBSCRIBE_BATCH = 512;

export interface ShardEvents {
  onMessage(pubsubChannel: string, message: Buffer): void;
  /** The PUB/SUB link was lost and is whole again; these channels may have missed messages. */
  onResubscribed(pubsubChannels: string[]): void;
}

type Arg = string | Buffer | number;
type ScriptCaller = (...args: Arg[]) => Promise<unknown>;

export class RedisShard {
  readonly cmd: RedisClient;
  /** The broker's PUB/SUB link; null until startPubSub (never, for a presence manager alone). */
  private sub: RedisClient | null = null;
  private events: ShardEvents | null = null;
  /** PUB/SUB channels the node wants, whether or not the link currently has them. */
  private readonly wanted = new Set<string>();
  /** Channels whose state changed since the last flush, and the callers waiting for it. */
  private pending = new Set<string>();
  private waiters: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];
  private flushScheduled = false;
  /** Serialises flushes and resubscriptions so commands reach Redis in the order decided. */
  private chain: Promise<void> = Promise.resolve();
  private subLinkWhole = false;
  private everReady = false;
  private closed = false;
  private lastProblem = '';
  /** A command timed out on the open connection and none has been answered since. */
  private commandsStalled = false;
  private probeTimer: NodeJS.Timeout | null = null;
  private probing = false;
  /** Control and node channels: always plain SUBSCRIBE, also in sharded mode. */
  private serviceChannels = new Set<string>();
  /** Client channels use SSUBSCRIBE (Redis 7 sharded PUB/SUB in a cluster). */
  private readonly sharded: boolean;

  constructor(
    readonly index: number,
    readonly address: RedisShardAddress,
    private readonly options: RedisEngineOptions,
    private readonly log: Logger,
    private readonly metrics?: RedisMetrics,
  ) {
    this.sharded = options.sharded_pubsub && address.kind === 'cluster';
    this.cmd = createClient(options, address, 'cmd');
    for (const [name, def] of Object.entries(SCRIPTS)) {
      this.cmd.defineCommand(name, { numberOfKeys: def.numberOfKeys, lua: def.lua });
    }
    this.cmd.on('error', (err: Error) => this.problem('commands', err));
    this.cmd.on('ready', () => {
      this.metrics?.linkUp.set({ shard: this.address.label, link: 'commands' }, 1);
      this.recovered('commands');
    });
    this.cmd.on('close', () => this.metrics?.linkUp.set({ shard: this.address.label, link: 'commands' }, 0));
  }

  private openSub(events: ShardEvents): RedisClient {
    const sub = createClient(this.options, this.address, 'sub');
    this.sub = sub;
    this.events = events;
    // A link dropped by stopPubSub still emits its last events: they concern
    // nobody, and must not mark a newer link down or count a loss.
    const current = (): boolean => this.sub === sub;
    sub.on('error', (err: Error) => {
      if (current()) this.problem('PUB/SUB', err);
    });
    sub.on('ready', () => {
      if (current()) this.onSubReady();
    });
    sub.on('close', () => {
      if (!current()) return;
      if (this.subLinkWhole) {
        this.log.warn({ shard: this.address.label }, 'redis PUB/SUB connection lost');
        this.metrics?.pubSubErrors.inc({ broker_name: '', error: 'connection_lost' });
      }
      this.metrics?.linkUp.set({ shard: this.address.label, link: 'pubsub' }, 0);
      this.subLinkWhole = false;
    });
    sub.on('messageBuffer', (channel: Buffer, message: Buffer) => {
      if (current()) events.onMessage(channel.toString(), message);
    });
    sub.on('smessageBuffer', (channel: Buffer, message: Buffer) => {
      if (current()) events.onMessage(channel.toString(), message);
    });
    return sub;
  }

  /**
   * A half-open PUB/SUB connection looks healthy and delivers nothing: PING it
   * (allowed in subscriber mode) and drop it when no answer comes in time, so
   * it reconnects and the gap is reported.
   */
  private startProbe(sub: RedisClient): void {
    this.probeTimer = setInterval(() => {
      if (!this.subLinkWhole || this.probing) return;
      this.probing = true;
      const timer = setTimeout(() => {
        this.log.warn({ shard: this.address.label }, 'redis PUB/SUB connection did not answer a PING; reconnecting');
        sub.disconnect(true);
      }, this.options.io_timeout);
      sub
        .ping()
        .catch(() => undefined)
        .finally(() => {
          clearTimeout(timer);
          this.probing = false;
        });
    }, PROBE_INTERVAL_MS);
    this.probeTimer.unref();
  }

  /** Connects the command link; fails with the cause when Redis cannot be reached. */
  async connect(): Promise<void> {
    // A shard closed by its last user opens again for the next one.
    this.closed = false;
    this.lastProblem = '';
    await this.connecting(async () => {
      await this.cmd.connect();
      // Streams are required (Redis >= 5): the same probe Centrifugo runs at start.
      await this.cmd.xrange('__tributary.check.stream', '0-0', '0-0');
    });
  }

  /**
   * Opens the PUB/SUB link for a broker, subscribed to `serviceChannels`
   * (control, this node) and then to whatever the broker asks for, with
   * messages handed to `events`. Call after connect().
   */
  async startPubSub(serviceChannels: string[], events: ShardEvents): Promise<void> {
    if (this.sub) throw new Error(`redis ${this.address.label}: PUB/SUB link already started`);
    for (const ch of serviceChannels) this.wanted.add(ch);
    this.serviceChannels = new Set(serviceChannels);
    const sub = this.openSub(events);
    await this.connecting(() => sub.connect());
    // The 'ready' handler subscribes everything wanted (for a Cluster, 'ready'
    // comes after connect() resolves); wait until it has.
    const deadline = Date.now() + Math.max(this.options.connect_timeout, 5000);
    while (!this.subLinkWhole && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    if (!this.subLinkWhole) throw new Error(`redis ${this.address.label}: PUB/SUB subscription failed (${this.lastProblem || 'no ready link'})`);
    this.startProbe(sub);
  }

  /** Drops the PUB/SUB link (its broker closes); the command link stays for the presence manager. */
  stopPubSub(): void {
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.probeTimer = null;
    const sub = this.sub;
    // Detached first: the close this disconnect causes is not a lost link.
    this.sub = null;
    this.subLinkWhole = false;
    sub?.disconnect();
    if (sub) this.metrics?.linkUp.set({ shard: this.address.label, link: 'pubsub' }, 0);
    this.events = null;
    this.everReady = false;
    this.wanted.clear();
    this.serviceChannels = new Set();
  }

  private async connecting(step: () => Promise<unknown>): Promise<void> {
    try {
      await step();
    } catch (err) {
      // ioredis rejects connect() with "Connection is closed"; the cause came through 'error'.
      const cause = this.lastProblem || (err as Error).message || String(err);
      throw new Error(`redis ${this.address.label}: cannot connect (${cause})`);
    }
  }

  /**
   * Whether the command link works: all a presence manager needs. An open
   * connection is not enough: a frozen or overloaded Redis keeps its sockets
   * and answers nothing, so a command that timed out makes the link unhealthy
   * until a command is answered again.
   */
  commandsHealthy(): boolean {
    return !this.closed && this.cmd.status === 'ready' && !this.commandsStalled;
  }

  /** A command was answered: a stall, if any, is over. */
  private answered(): void {
    if (!this.commandsStalled) return;
    this.commandsStalled = false;
    this.recovered('commands');
  }

  private commandFailed(err: unknown): void {
    if (this.commandsStalled || !isCommandTimeout(err)) return;
    this.commandsStalled = true;
    this.problem('commands', new Error(`no answer within io_timeout (${this.options.io_timeout} ms)`));
  }

  /**
   * Whether the broker's PUB/SUB link is open and holds every wanted
   * subscription (false before startPubSub: a broker without it delivers
   * nothing). With a Redis Cluster, ioredis moves the PUB/SUB connection to
   * another node by itself on a failover; that move is not seen here, so
   * publications missed meanwhile reach positioned subscribers only as a gap
   * at their next publication.
   */
  pubSubHealthy(): boolean {
    return !this.closed && this.sub !== null && this.subLinkWhole;
  }

  problemDetail(): string {
    return this.lastProblem;
  }

  /** Runs one of the Lua scripts (lua.ts). `buffers` asks for Buffer replies (payloads). */
  async script(name: ScriptName, keys: string[], args: Arg[], buffers = false): Promise<unknown> {
    const fn = (this.cmd as unknown as Record<string, ScriptCaller>)[buffers ? `${name}Buffer` : name]!;
    try {
      const reply = await fn.call(this.cmd, ...keys, ...args);
      this.answered();
      return reply;
    } catch (err) {
      this.commandFailed(err);
      if (!isNoScript(err)) throw unavailable(this.address.label, err);
    }
    // ioredis marks a connection as holding the script as soon as it writes
    // the EVAL, even when Redis answers MOVED or CLUSTERDOWN without running
    // it (a cluster forming, failing over or resharding). Its retries then go
    // by SHA and can end in NOSCRIPT. A plain EVAL carries the script itself,
    // so it cannot miss; the next call by SHA finds the script loaded.
    this.metrics?.scriptReloads.inc({ shard: this.address.label });
    const def = SCRIPTS[name];
    try {
      // evalBuffer is made at run time like every *Buffer command (untyped);
      // callBuffer would lose the command name under auto-pipelining (a Redis Cluster's).
      const evalFn = (this.cmd as unknown as Record<string, ScriptCaller>)[buffers ? 'evalBuffer' : 'eval']!;
      const reply = await evalFn.call(this.cmd, def.lua, def.numberOfKeys, ...keys, ...args);
      this.answered();
      return reply;
    } catch (err) {
      this.commandFailed(err);
      throw unavailable(this.address.label, err);
    }
  }

  /** Runs a plain command (PUBLISH, DEL...). */
  async call(command: string, ...args: Arg[]): Promise<unknown> {
    try {
      const reply = await this.cmd.call(command, ...args);
      this.answered();
      return reply;
    } catch (err) {
      this.commandFailed(err);
      throw unavailable(this.address.label, err);
    }
  }

  subscribe(channels: string[]): Promise<void> {
    return this.change(channels, true);
  }

  unsubscribe(channels: string[]): Promise<void> {
    return this.change(channels, false);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopPubSub();
    await disconnectClient(this.cmd);
  }

  // ---- subscriptions ---------------------------------------------------------

  private change(channels: string[], subscribe: boolean): Promise<void> {
    if (channels.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      for (const ch of channels) {
        if (subscribe) this.wanted.add(ch);
        else this.wanted.delete(ch);
      }
      for (const ch of channels) this.pending.add(ch);
      // A link that is down holds no subscriptions: an unsubscribe has already
      // taken effect (the resubscription skips the channel), so its caller goes on.
      if (!subscribe && !this.subLinkWhole) resolve();
      else this.waiters.push({ resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => {
          this.flushScheduled = false;
          this.enqueue(() => this.flush());
        });
      }
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    const waiters = this.waiters;
    this.pending = new Set();
    this.waiters = [];
    if (!this.subLinkWhole) {
      // Kept in `wanted`: the resubscription after the link returns applies it.
      const err = new EngineUnavailableError(`redis ${this.address.label}: PUB/SUB connection is down`);
      for (const w of waiters) w.reject(err);
      return;
    }
    const add: string[] = [];
    const remove: string[] = [];
    for (const ch of batch) (this.wanted.has(ch) ? add : remove).push(ch);
    try {
      await this.apply(add, true);
      await this.apply(remove, false);
      for (const w of waiters) w.resolve();
    } catch (err) {
      const e = unavailable(this.address.label, err);
      for (const w of waiters) w.reject(e);
    }
  }

  /** SUBSCRIBE/UNSUBSCRIBE in batches; in sharded mode client channels one by one (one slot per command). */
  private async apply(channels: string[], subscribe: boolean): Promise<void> {
    const sub = this.sub;
    if (!sub) throw new EngineUnavailableError(`redis ${this.address.label}: PUB/SUB connection is down`);
    let plain = channels;
    if (this.sharded) {
      plain = channels.filter((c) => this.serviceChannels.has(c));
      const sharded = channels.filter((c) => !this.serviceChannels.has(c));
      await Promise.all(sharded.map((c) => (subscribe ? sub.ssubscribe(c) : sub.sunsubscribe(c))));
    }
    for (let i = 0; i < plain.length; i += SUBSCRIBE_BATCH) {
      const batch = plain.slice(i, i + SUBSCRIBE_BATCH);
      await (subscribe ? sub.subscribe(...batch) : sub.unsubscribe(...batch));
    }
  }

  private onSubReady(): void {
    this.enqueue(() => this.resubscribeAll());
  }

  /** Runs `step` after everything queued; a failing step is logged and never stops the queue. */
  private enqueue(step: () => Promise<void>): void {
    this.chain = this.chain
      .then(step)
      .catch((err) => this.log.error({ shard: this.address.label, err: (err as Error).message }, 'redis subscription step failed'));
  }

  private async resubscribeAll(): Promise<void> {
    if (this.closed || !this.sub) return;
    const all = [...this.wanted];
    try {
      await this.apply(all, true);
    } catch (err) {
      // The link dropped again; the next 'ready' retries.
      this.problem('PUB/SUB', err as Error);
      return;
    }
    const wasReady = this.everReady;
    this.everReady = true;
    this.subLinkWhole = true;
    this.metrics?.linkUp.set({ shard: this.address.label, link: 'pubsub' }, 1);
    this.recovered('PUB/SUB');
    if (wasReady) {
      this.metrics?.resubscribes.inc({ shard: this.address.label });
      this.events?.onResubscribed(all);
    }
  }

  // ---- logging -----------------------------------------------------------------

  private problem(link: string, err: Error): void {
    const detail = `${link}: ${err.message || String(err)}`;
    // ioredis reports every failed reconnect; log a problem once until it clears.
    if (detail !== this.lastProblem && !this.closed) this.log.warn({ shard: this.address.label, err: err.message }, `redis ${link} connection problem`);
    this.lastProblem = detail;
  }

  private recovered(link: string): void {
    // Recovered when every link this shard has open works again.
    if (this.lastProblem === '' || !this.commandsHealthy() || (this.sub !== null && !this.subLinkWhole)) return;
    this.log.info({ shard: this.address.label }, `redis ${link} connection ready`);
    this.lastProblem = '';
  }
}

/** ioredis's commandTimeout (io_timeout) rejection: the connection is open, the answer did not come. */
function isCommandTimeout(err: unknown): boolean {
  return (err as Error)?.message === 'Command timed out';
}

function isNoScript(err: unknown): boolean {
  return typeof (err as Error)?.message === 'string' && (err as Error).message.startsWith('NOSCRIPT');
}

function unavailable(label: string, err: unknown): Error {
  if (err instanceof EngineUnavailableError) return err;
  const e = err as Error & { name?: string };
  // A Lua error is a bug or bad data, not an outage: keep it as it is.
  if (e && typeof e.message === 'string' && /^ERR .*script|^WRONGTYPE|user_script/i.test(e.message)) return e;
  return new EngineUnavailableError(`redis ${label}: ${e?.message || String(err)}`, { cause: err });
}
