// NATS subject names, as Centrifugo's Nats broker names them, so that nodes
// configured with one prefix meet on the same subjects:
//   <prefix>.client.<channel>   a channel's publications, joins and leaves
//   <prefix>.control            control messages to every node
//   <prefix>.node.<node id>     control messages to one node
// In raw mode a channel's subject is raw_mode.prefix + the channel, after
// raw_mode.channel_replacements.

import type { NatsOptions } from '../../config/nats.js';

export class NatsSubjects {
  readonly control: string;
  private readonly clientPrefix: string;
  private readonly rawPrefixOrNull: string | null;
  private readonly replacements: Array<[string, string]>;

  constructor(private readonly opts: Pick<NatsOptions, 'prefix' | 'raw_mode'>) {
    this.control = `${opts.prefix}.control`;
    this.clientPrefix = `${opts.prefix}.client.`;
    this.rawPrefixOrNull = opts.raw_mode.enabled ? opts.raw_mode.prefix : null;
    this.replacements = Object.entries(opts.raw_mode.channel_replacements).filter(([from]) => from !== '');
  }

  /** The raw mode prefix ('' outside raw mode). */
  get rawPrefix(): string {
    return this.rawPrefixOrNull ?? '';
  }

  get raw(): boolean {
    return this.rawPrefixOrNull !== null;
  }

  node(nodeId: string): string {
    return `${this.opts.prefix}.node.${nodeId}`;
  }

  channel(channel: string): string {
    if (this.rawPrefixOrNull === null) return this.clientPrefix + channel;
    return this.rawPrefixOrNull + replaceAll(channel, this.replacements);
  }
}

/**
 * Go's strings.NewReplacer: at each position the first pair (in argument
 * order) whose old string matches wins, and replaced text is not scanned
 * again. Go's map order is random, so overlapping keys are ambiguous there.
 */
function replaceAll(s: string, pairs: Array<[string, string]>): string {
  if (pairs.length === 0) return s;
  let out = '';
  let i = 0;
  outer: while (i < s.length) {
    for (const [from, to] of pairs) {
      if (s.startsWith(from, i)) {
        out += to;
        i += from.length;
        continue outer;
      }
    }
    out += s[i];
    i++;
  }
  return out;
}
