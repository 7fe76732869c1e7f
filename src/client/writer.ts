// Per-connection outgoing queue. Messages queued during one event-loop turn
// leave in one socket write (JSON: joined by '\n' into one WebSocket message),
// because a socket write costs about as much as ten small frames. The queue is
// bounded in bytes, counting what the socket itself still holds, so a client
// that stops reading cannot grow the server's memory.

import type { Frame } from '../protocol/codec.js';
import type { Transport } from './transport.js';

export interface WriterOwner {
  /** Called once when the queue limit is exceeded; the owner disconnects (3008). */
  onQueueOverflow(): void;
  /** Called when the transport throws on write; the owner disconnects (3009). */
  onWriteError(err: unknown): void;
}

/** Batches the flush of every dirty writer into one setImmediate per turn. */
class FlushScheduler {
  private dirty: Writer[] = [];
  private scheduled = false;

  mark(w: Writer): void {
    this.dirty.push(w);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.run);
    }
  }

  private readonly run = (): void => {
    const list = this.dirty;
    this.dirty = [];
    this.scheduled = false;
    for (const w of list) w.flush();
  };
}

const scheduler = new FlushScheduler();

export class Writer {
  // The common case is one frame per turn (a fan-out delivery): keep it out of
  // an array so a flush allocates nothing of ours.
  private first: Frame | null = null;
  private more: Frame[] | null = null;
  private pendingBytes = 0;
  private marked = false;
  private closed = false;
  /** Unix ms since when the socket has held unsent bytes at every flush; 0 when it drains. */
  private stalledSince = 0;

  constructor(
    private readonly transport: Transport,
    private readonly owner: WriterOwner,
    /** The codec's join: '\n' for JSON, concatenation for Protobuf. */
    private readonly join: (frames: Frame[]) => Frame,
    private readonly maxQueueBytes: number,
    /** A socket that has not taken a write for this long is dead (3009); 0 disables. */
    private readonly writeTimeoutMs = 0,
  ) {}

  enqueue(message: Frame): void {
    if (this.closed) return;
    if (this.first === null) this.first = message;
    else if (this.more === null) this.more = [message];
    else this.more.push(message);
    this.pendingBytes += message.length;
    // What the socket still holds is added at flush time; here only our own queue counts.
    if (this.maxQueueBytes > 0 && this.pendingBytes > this.maxQueueBytes) return this.overflow();
    if (!this.marked) {
      this.marked = true;
      scheduler.mark(this);
    }
  }

  /** Writes everything queued now. Also used right before a close. */
  flush(): void {
    this.marked = false;
    if (this.first === null || this.closed) return;
    const buffered = this.transport.bufferedAmount();
    if (this.maxQueueBytes > 0 && this.pendingBytes + buffered > this.maxQueueBytes) return this.overflow();
    // Bytes still waiting from earlier writes mean the socket has not drained
    // since at least the first flush that saw them (sampled here rather than
    // with a per-send completion callback, which costs on every delivery).
    if (buffered === 0) this.stalledSince = 0;
    else if (this.stalledSince === 0) this.stalledSince = Date.now();
    else if (this.writeTimeoutMs > 0 && Date.now() - this.stalledSince > this.writeTimeoutMs) {
      this.closed = true;
      this.drop();
      this.owner.onWriteError(new Error('write timeout'));
      return;
    }
    const first = this.first;
    const more = this.more;
    this.drop();
    try {
      if (more === null) this.transport.write(first);
      else if (this.transport.writeMany) this.transport.writeMany([first, ...more]);
      else this.transport.write(this.join([first, ...more]));
    } catch (err) {
      this.closed = true;
      this.owner.onWriteError(err);
    }
  }

  /** Stops accepting messages; what is pending is dropped unless flushed first. */
  close(): void {
    this.closed = true;
    this.drop();
  }

  private overflow(): void {
    this.closed = true;
    this.drop();
    this.owner.onQueueOverflow();
  }

  private drop(): void {
    this.first = null;
    this.more = null;
    this.pendingBytes = 0;
  }
}
