// The channel tail (POST <prefix>/admin/tail): a channel's publications as
// they arrive on this node, optionally after its history from a position or
// its last N, as NDJSON lines on a response that stays open. The browser
// reads it with fetch (EventSource cannot send the Authorization header).
// The tail is a local hub subscriber like a client's subscription, so the
// node subscribes the broker to the channel while someone watches it.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ChannelSubscriber } from '../hub/hub.js';
import type { PublicationFrames } from '../hub/frames.js';
import type { Node } from '../node/node.js';
import { ReplyError } from '../protocol/codes.js';
import type { Publication, StreamPosition } from '../protocol/types.js';
import { isJson, isRecord } from '../util/values.js';

/** A watcher that falls this far behind is cut off, instead of the node buffering for it. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
const MAX_HISTORY = 1000;

export interface TailRequest {
  channel: string;
  since?: StreamPosition;
  limit?: number;
}

/** The request, or why it is not one. */
export function parseTailRequest(body: unknown): TailRequest | string {
  if (!isRecord(body)) return 'the body must be a JSON object';
  const { channel, since, limit } = body;
  if (typeof channel !== 'string' || channel === '') return 'channel is required';
  const req: TailRequest = { channel };
  if (since !== undefined && since !== null) {
    if (!isRecord(since) || typeof since.offset !== 'number' || !Number.isSafeInteger(since.offset) || since.offset < 0) {
      return 'since.offset must be a non-negative integer';
    }
    if (since.epoch !== undefined && typeof since.epoch !== 'string') return 'since.epoch must be a string';
    req.since = { offset: since.offset, epoch: (since.epoch as string | undefined) ?? '' };
  }
  if (limit !== undefined && limit !== null) {
    if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 0) return 'limit must be a non-negative integer';
    req.limit = Math.min(limit, MAX_HISTORY);
  }
  return req;
}

function view(pub: Publication): Record<string, unknown> {
  const text = pub.data.toString('utf8');
  const out: Record<string, unknown> = { offset: pub.offset, data: isJson(text) ? JSON.parse(text) : text };
  if (pub.info) out.info = { user: pub.info.user, client: pub.info.client };
  if (pub.tags) out.tags = pub.tags;
  return out;
}

class TailSubscriber implements ChannelSubscriber {
  /** Live publications that came while history was being read. */
  private held: Publication[] | null = [];
  private lastOffset = 0;

  constructor(
    readonly channel: string,
    private readonly res: ServerResponse,
    private readonly onOverflow: () => void,
  ) {}

  receivePublication(frames: PublicationFrames): void {
    if (this.held) this.held.push(frames.pub);
    else this.emit('publication', frames.pub);
  }

  receiveJoinLeave(): void {}

  onDeliveryGap(): void {
    this.line({ type: 'gap' });
  }

  /** History is written: write what was held back (minus what history already had), then go live; `top`: the stream's position then. */
  goLive(lastHistoryOffset: number, top?: StreamPosition): void {
    this.lastOffset = lastHistoryOffset;
    this.line(top ? { type: 'live', offset: top.offset, epoch: top.epoch } : { type: 'live' });
    const held = this.held ?? [];
    this.held = null;
    for (const pub of held) this.emit('publication', pub);
  }

  emit(type: 'history' | 'publication', pub: Publication): void {
    // Offsets only grow within an epoch; one at or below what was written already came through history.
    if (pub.offset > 0 && pub.offset <= this.lastOffset) return;
    if (pub.offset > 0) this.lastOffset = pub.offset;
    this.line({ type, publication: view(pub) });
  }

  line(value: unknown): void {
    if (this.res.destroyed) return;
    if (this.res.writableLength > MAX_BUFFERED_BYTES) return this.onOverflow();
    this.res.write(JSON.stringify(value) + '\n');
  }
}

export async function serveTail(node: Node, req: IncomingMessage, res: ServerResponse, tail: TailRequest): Promise<void> {
  let resolved;
  try {
    resolved = node.resolve(tail.channel);
  } catch (err) {
    if (err instanceof ReplyError) return sendError(res, 400, err.error.code, err.error.message);
    throw err;
  }
  res.writeHead(200, { 'Content-Type': 'application/x-ndjson', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' });
  res.flushHeaders();
  const sub = new TailSubscriber(resolved.name, res, () => {
    sub.line({ type: 'error', error: { code: 3008, message: 'tail too slow: cut off' } });
    res.destroy();
  });
  const gone = new Promise<void>((resolve) => res.once('close', resolve));
  try {
    await node.addSubscription(sub);
  } catch (err) {
    // The broker could not subscribe (Redis down): say so on the stream and end it, the watcher may retry.
    sub.line({ type: 'error', error: { code: 100, message: `cannot subscribe: ${(err as Error).message}` } });
    res.end();
    await node.removeSubscription(sub).catch(() => undefined);
    return;
  }
  try {
    let last = 0;
    let top: StreamPosition | undefined;
    if (tail.since !== undefined || tail.limit !== undefined) {
      try {
        const history = await node.history(resolved, { limit: tail.limit ?? MAX_HISTORY, since: tail.since, reverse: tail.since === undefined });
        const pubs = tail.since === undefined ? [...history.publications].reverse() : history.publications;
        for (const pub of pubs) sub.emit('history', pub);
        last = pubs.length > 0 ? pubs[pubs.length - 1]!.offset : 0;
        top = history.position;
      } catch (err) {
        const e = err instanceof ReplyError ? err.error : { code: 100, message: 'internal server error' };
        sub.line({ type: 'error', error: { code: e.code, message: e.message } });
        res.end();
        return;
      }
    }
    sub.goLive(last, top);
    await gone;
  } finally {
    await node.removeSubscription(sub).catch(() => undefined);
  }
}

export function sendError(res: ServerResponse, status: number, code: number, message: string): void {
  if (res.headersSent) return;
  const body = JSON.stringify({ error: { code, message } });
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(body);
}
