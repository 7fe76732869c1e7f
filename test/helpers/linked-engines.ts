// Several nodes in one process, linked the way a Redis engine links nodes for
// control messages: publishControl reaches every linked node's onControl
// (the sender's own included, as Redis PUB/SUB echoes it), or only the node
// named by nodeId. Delivery is asynchronous and in publish order, like a
// message through a broker. Publications, history and presence stay per node
// (plain MemoryEngine): only the control plane is shared.

import type { EngineEventHandler } from '../../src/engines/engine.js';
import { MemoryEngine } from '../../src/engines/memory/memory-engine.js';
import type { Raw } from '../../src/protocol/types.js';

export class EngineLink {
  private readonly members = new Set<LinkedEngine>();
  /** Every message published on the link, for assertions: [from node id, to node id or '*', bytes]. */
  readonly log: Array<{ from: string; to: string; data: Buffer }> = [];

  engine(): LinkedEngine {
    return new LinkedEngine(this);
  }

  join(e: LinkedEngine): void {
    this.members.add(e);
  }

  leave(e: LinkedEngine): void {
    this.members.delete(e);
  }

  /** Hands `data` to the recipients linked now, on a later turn of the event loop. */
  deliver(from: LinkedEngine, data: Buffer, nodeId?: string): void {
    this.log.push({ from: from.nodeId, to: nodeId ?? '*', data });
    const recipients = [...this.members].filter((e) => !e.isolated && (nodeId === undefined || e.nodeId === nodeId));
    setImmediate(() => {
      for (const e of recipients) {
        // Copies: a receiver must never share (or be able to change) the sender's buffer.
        if (this.members.has(e) && !e.isolated) e.receive(Buffer.from(data));
      }
    });
  }

  /** Sends raw bytes to every linked node (or one), as if some peer had published them. */
  inject(data: Buffer | string, nodeId?: string): void {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    for (const e of this.members) if (nodeId === undefined || e.nodeId === nodeId) setImmediate(() => e.receive(Buffer.from(bytes)));
  }
}

export class LinkedEngine extends MemoryEngine {
  /** The uid of the node that started this engine, as the engine's event handler tells it. */
  nodeId = '';
  /** True: the node's link is cut, nothing goes in or out (a crash or partition, without a goodbye). */
  isolated = false;
  private linkedHandler: EngineEventHandler | null = null;

  constructor(private readonly link: EngineLink) {
    super();
  }

  override async start(handler: EngineEventHandler): Promise<void> {
    await super.start(handler);
    this.linkedHandler = handler;
    this.nodeId = handler.id;
    this.link.join(this);
  }

  override async close(): Promise<void> {
    this.link.leave(this);
    this.linkedHandler = null;
    await super.close();
  }

  override async publishControl(data: Raw, nodeId?: string): Promise<void> {
    if (this.isolated) return;
    this.link.deliver(this, Buffer.from(data), nodeId);
  }

  receive(data: Buffer): void {
    this.linkedHandler?.onControl(data);
  }
}
