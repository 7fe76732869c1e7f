// The `channels` survey op: each node lists its channels that have local
// subscribers, filtered by a glob pattern; the caller sums the counts per
// channel over every node's reply (spec server-api.md §1.3 `channels`).

import type { Hub } from '../../hub/hub.js';
import { compileGlob } from '../../util/glob.js';
import { SurveyCodes } from './messages.js';
import { SurveyError } from './survey-handler.js';
import type { SurveyReply } from './surveys.js';
import { isRecord } from '../../util/values.js';

export const CHANNELS_OP = 'channels';

export interface ChannelsRequest {
  /** '' = every channel. */
  pattern: string;
}

/** A reply's data: channel → local subscriber count. */
export type ChannelCounts = Record<string, number>;

/** This node's answer. */
export function localChannels(hub: Hub, data: unknown): ChannelCounts {
  const pattern = isRecord(data) ? data.pattern : undefined;
  if (pattern !== undefined && typeof pattern !== 'string') throw new SurveyError(SurveyCodes.invalidRequest, 'pattern must be a string');
  const re = pattern ? compileGlob(pattern) : null;
  // Own properties only via an object without a prototype: a channel named "__proto__" stays a channel.
  const out: ChannelCounts = Object.create(null) as ChannelCounts;
  for (const [name, count] of hub.channelCounts()) {
    if (count > 0 && (!re || re.test(name))) out[name] = count;
  }
  return out;
}

export class ChannelsSurveyError extends Error {}

/**
 * Sums the replies. Any reply with a non-zero code, or data of the wrong
 * shape, fails the whole call, as a failed node reply does in Centrifugo.
 */
export function mergeChannels(replies: Iterable<[string, SurveyReply]>): Map<string, number> {
  const total = new Map<string, number>();
  for (const [uid, reply] of replies) {
    if (reply.code !== SurveyCodes.ok) throw new ChannelsSurveyError(`node ${uid} answered code ${reply.code}`);
    if (!isRecord(reply.data)) throw new ChannelsSurveyError(`node ${uid} sent no channel map`);
    for (const [name, count] of Object.entries(reply.data)) {
      if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) {
        throw new ChannelsSurveyError(`node ${uid} sent a bad count for ${JSON.stringify(name)}`);
      }
      total.set(name, (total.get(name) ?? 0) + count);
    }
  }
  return total;
}
