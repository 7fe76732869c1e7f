// Broker for many processes sharing Redis (spec server-api.md §4.2–4.4, 4.6):
// every publication goes through Redis PUB/SUB, including back to the node
// that published it, so all nodes deliver a channel's publications in one
// order. History lives in Redis streams, appended with the stream meta by one
// Lua script (one round trip per publish); idempotency results in per-key
// hashes, shared by all nodes. Channels are spread over shards by consistent
// hashing. Starting the broker opens each shard's PUB/SUB link; the command
// links may be shared with a RedisPresenceManager on the same RedisShards.

import type { Logger } from '../../log.js';
import { Serial } from '../../util/serial.js';
import type { ClientInfo, Publication, Raw, StreamPosition } from '../../protocol/types.js';
import type { EngineHealth } from '../availability.js';
import type { Broker, BrokerEventHandler, HistoryFilter, HistoryOptions, HistoryResult, PublishOptions, PublishResult } from '../broker.js';
import { generateEpoch } from '../epoch.js';
import { CorruptMessages } from '../corrupt-messages.js';
import type { RedisKeys } from './keys.js';
import { claimedKind, decodePubSubMessage, decodePublication, encodePublication, joinMessage, leaveMessage } from './payloads.js';
import type { RedisShard } from './shard.js';
import type { RedisShards } from './shards.js';
import { seconds, text } from './values.js';

export interface RedisBrokerStats {
  malformedMessages: number;
}

export class RedisBroker implements Broker {
  readonly name = 'redis';
  readonly idempotencyScope = 'shared';
  readonly keys: RedisKeys;
  /** Null before start and after close: messages then reach nobody. */
  private handler: BrokerEventHandler | null = null;
  private nodeChannel = '';
  /** Whether this broker holds the shards (acquired, PUB/SUB links being opened or open). */
  private holding = false;
  private started = false;
  /** Start and close one at a time, so a close during a start cannot leave a hold behind. */
  private readonly lifecycle = new Serial();
  /** PUBLISH, or SPUBLISH with Redis 7 sharded PUB/SUB. */
  private readonly publishCommand: string;
  private readonly log: Logger;
  readonly stats: RedisBrokerStats = { malformedMessages: 0 };
  private readonly corrupt: CorruptMessages;

  constructor(private readonly shards: RedisShards) {
    this.keys = shards.keys;
    this.log = shards.log;
    this.corrupt = new CorruptMessages('redis', shards.log, shards.metrics?.corruptMessages);
    this.publishCommand = shards.options.sharded_pubsub ? 'spublish' : 'publish';
  }

  start(handler: BrokerEventHandler): Promise<void> {
    return this.lifecycle.run(async () => {
      if (this.started) return;
      this.handler = handler;
      this.nodeChannel = this.keys.node(handler.id);
      try {
        await this.shards.acquire();
        this.holding = true;
        const events = { onMessage: (ch: string, msg: Buffer) => this.onMessage(ch, msg), onResubscribed: (chs: string[]) => this.onResubscribed(chs) };
        await Promise.all(this.shards.all.map((s) => s.startPubSub([this.keys.control, this.nodeChannel], events)));
      } catch (err) {
        await this.letGo();
        throw err;
      }
      this.started = true;
    });
  }

  /** Drops the PUB/SUB links; the command links close once no presence manager shares them. */
  close(): Promise<void> {
    return this.lifecycle.run(() => this.letGo());
  }

  private async letGo(): Promise<void> {
    this.started = false;
    this.handler = null;
    if (!this.holding) return;
    this.holding = false;
    for (const s of this.shards.all) s.stopPubSub();
    await this.shards.release();
  }

  /** Both links of every shard: without PUB/SUB, nothing published reaches anyone. */
  health(): EngineHealth {
    return this.shards.health((s) => s.commandsHealthy() && s.pubSubHealthy());
  }

  private shardFor(channel: string): RedisShard {
    return this.shards.shardFor(channel);
  }

  // ---- publish ---------------------------------------------------------------

  async publish(channel: string, data: Raw, opts: PublishOptions): Promise<PublishResult> {
    const shard = this.shardFor(channel);
    const pub: Publication = { data, offset: 0, time: Date.now() };
    if (opts.info !== undefined) pub.info = opts.info;
    if (opts.tags !== undefined) pub.tags = opts.tags;
    const delta = opts.delta === true;
    const key = opts.idempotencyKey || '';
    // 0 or less means the default window (as the memory broker reads it), never "expire at once".
    const resultTtl = key ? String(seconds(opts.idempotentResultTtlMs && opts.idempotentResultTtlMs > 0 ? opts.idempotentResultTtlMs : 300_000)) : '';

    if (opts.historySize > 0 && opts.historyTtlMs > 0) {
      const reply = (await shard.script(
        'historyAdd',
        [this.keys.stream(channel), this.keys.streamMeta(channel), this.keys.result(channel, key)],
        [
          encodePublication(pub),
          opts.historySize,
          seconds(opts.historyTtlMs),
          this.keys.pubsub(channel),
          seconds(opts.historyMetaTtlMs),
          generateEpoch(),
          this.publishCommand,
          resultTtl,
          delta ? '1' : '0',
          opts.version ?? 0,
          opts.versionEpoch ?? '',
        ],
      )) as unknown[];
      const position: StreamPosition = { offset: Number(text(reply[0])), epoch: text(reply[1]) };
      return { position, suppressed: text(reply[2]) === '1' || text(reply[3]) === '1' };
    }

    const message = encodePublication(pub, delta);
    if (key) {
      const published = await shard.script(
        'publishIdempotent',
        [this.keys.result(channel, key)],
        [this.keys.pubsub(channel), message, resultTtl, this.publishCommand],
      );
      return { position: { offset: 0, epoch: '' }, suppressed: Number(published) !== 1 };
    }
    await this.publishPlain(shard, channel, message);
    return { position: { offset: 0, epoch: '' }, suppressed: false };
  }

  async publishJoin(channel: string, info: ClientInfo): Promise<void> {
    await this.publishPlain(this.shardFor(channel), channel, joinMessage(info));
  }

  async publishLeave(channel: string, info: ClientInfo): Promise<void> {
    await this.publishPlain(this.shardFor(channel), channel, leaveMessage(info));
  }

  /**
   * PUBLISH without a script around it. In a cluster (classic PUB/SUB) it is
   * run on the channel's slot node, so it keeps its order with the messages
   * the history scripts publish from there; SPUBLISH is routed by slot anyway.
   */
  private async publishPlain(shard: RedisShard, channel: string, message: Buffer): Promise<void> {
    if (this.keys.cluster && this.publishCommand === 'publish') {
      await shard.script('publishOnSlot', [this.keys.stream(channel)], ['publish', this.keys.pubsub(channel), message]);
    } else {
      await shard.call(this.publishCommand, this.keys.pubsub(channel), message);
    }
  }

  async publishControl(data: Raw, nodeId?: string): Promise<void> {
    // Always the first shard: one connection keeps one sender's control messages
    // in order (a subscribe then an unsubscribe by user; a heartbeat then a shutdown).
    const shard = this.shards.all[0]!;
    await shard.call('publish', nodeId === undefined ? this.keys.control : this.keys.node(nodeId), data);
  }

  // ---- node-level subscriptions ----------------------------------------------------

  async subscribe(channels: string[]): Promise<void> {
    await Promise.all(this.shards.byShard(channels).map(([shard, chs]) => shard.subscribe(chs.map((c) => this.keys.pubsub(c)))));
  }

  async unsubscribe(channels: string[]): Promise<void> {
    await Promise.all(this.shards.byShard(channels).map(([shard, chs]) => shard.unsubscribe(chs.map((c) => this.keys.pubsub(c)))));
  }

  private onMessage(pubsubChannel: string, message: Buffer): void {
    if (pubsubChannel === this.keys.control || pubsubChannel === this.nodeChannel) {
      this.handler?.onControl(message);
      return;
    }
    const channel = this.keys.channelOf(pubsubChannel);
    if (channel === undefined) return;
    let decoded;
    try {
      decoded = decodePubSubMessage(message);
    } catch (err) {
      this.stats.malformedMessages++;
      this.shards.metrics?.pubSubErrors.inc({ broker_name: '', error: 'decode' });
      this.corrupt.drop(claimedKind(message), channel, (err as Error).message);
      return;
    }
    if (decoded.kind === 'publication') {
      this.handler?.onPublication(channel, decoded.pub, { offset: decoded.pub.offset, epoch: decoded.epoch }, decoded.delta, decoded.prev);
    } else if (decoded.kind === 'join') {
      this.handler?.onJoin(channel, decoded.info);
    } else {
      this.handler?.onLeave(channel, decoded.info);
    }
  }

  private onResubscribed(pubsubChannels: string[]): void {
    const channels: string[] = [];
    for (const p of pubsubChannels) {
      const ch = this.keys.channelOf(p);
      if (ch !== undefined) channels.push(ch);
    }
    if (channels.length > 0) {
      this.log.info({ channels: channels.length }, 'redis PUB/SUB restored; positioned subscribers will recover what they missed');
      this.handler?.onDeliveryGap(channels);
    }
  }

  // ---- history ---------------------------------------------------------------

  async history(channel: string, filter: HistoryFilter, opts: HistoryOptions): Promise<HistoryResult> {
    const reply = (await this.shardFor(channel).script(
      'historyRead',
      [this.keys.stream(channel), this.keys.streamMeta(channel)],
      [filter.limit !== 0 ? '1' : '0', filter.since?.offset ?? 0, filter.limit, filter.reverse ? '1' : '0', seconds(opts.historyMetaTtlMs), generateEpoch()],
      true,
    )) as [Buffer, Buffer, Array<[Buffer, Buffer[]]>];
    const publications: Publication[] = [];
    for (const [id, fields] of reply[2] ?? []) {
      const offset = Number(text(id).split('-')[0]);
      for (let i = 0; i + 1 < fields.length; i += 2) {
        if (text(fields[i]) === 'd') publications.push(decodePublication(fields[i + 1]!, offset));
      }
    }
    return { publications, position: { offset: Number(text(reply[0])), epoch: text(reply[1]) } };
  }

  async removeHistory(channel: string): Promise<void> {
    await this.shardFor(channel).call('del', this.keys.stream(channel));
  }
}
