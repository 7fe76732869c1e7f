// Several nodes in one process, linked the way a Redis broker links nodes for
// control messages: publishControl reaches every linked node's onControl
// (the sender's own included, as Redis PUB/SUB echoes it), or only the node
// named by nodeId. Delivery is asynchronous and in publish order, like a
// message through a broker. Publications and history stay per node (plain
// MemoryBroker), presence too (each node has its own memory presence
// manager): only the control plane is shared.

import type { BrokerEventHandler } from '../../src/engines/broker.js';
import { MemoryBroker } from '../../src/engines/memory/memory-broker.js';
import type { Raw } from '../../src/protocol/types.js';

export class BrokerLink {
  private readonly members = new Set<LinkedBroker>();
  /** Every message published on the link, for assertions: [from node id, to node id or '*', bytes]. */
  readonly log: Array<{ from: string; to: string; data: Buffer }> = [];

  broker(): LinkedBroker {
    return new LinkedBroker(this);
  }

  join(b: LinkedBroker): void {
    this.members.add(b);
  }

  leave(b: LinkedBroker): void {
    this.members.delete(b);
  }

  /** Hands `data` to the recipients linked now, on a later turn of the event loop. */
  deliver(from: LinkedBroker, data: Buffer, nodeId?: string): void {
    this.log.push({ from: from.nodeId, to: nodeId ?? '*', data });
    const recipients = [...this.members].filter((b) => !b.isolated && (nodeId === undefined || b.nodeId === nodeId));
    setImmediate(() => {
      for (const b of recipients) {
        // Copies: a receiver must never share (or be able to change) the sender's buffer.
        if (this.members.has(b) && !b.isolated) b.receive(Buffer.from(data));
      }
    });
  }

  /** Sends raw bytes to every linked node (or one), as if some peer had published them. */
  inject(data: Buffer | string, nodeId?: string): void {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    for (const b of this.members) if (nodeId === undefined || b.nodeId === nodeId) setImmediate(() => b.receive(Buffer.from(bytes)));
  }
}

export class LinkedBroker extends MemoryBroker {
  /** The uid of the node that started this broker, as the broker's event handler tells it. */
  nodeId = '';
  /** True: the node's link is cut, nothing goes in or out (a crash or partition, without a goodbye). */
  isolated = false;
  private linkedHandler: BrokerEventHandler | null = null;

  constructor(private readonly link: BrokerLink) {
    super();
  }

  override async start(handler: BrokerEventHandler): Promise<void> {
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
