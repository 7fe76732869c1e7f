// Deciding whether a resubscribing client got everything it missed
// (client-protocol.md §4.2). Pure functions over what the broker returned.

import type { Publication, StreamPosition } from '../protocol/types.js';

export interface RecoveryOutcome {
  recovered: boolean;
  /** Publications to put in the subscribe reply (empty unless recovered). */
  publications: Publication[];
}

/**
 * Stream mode: `pubs` are the publications after `since.offset` (at most the
 * recovery limit), `top` the stream's current position.
 */
export function recoverStream(since: StreamPosition, pubs: Publication[], top: StreamPosition): RecoveryOutcome {
  if (since.epoch !== '' && since.epoch !== top.epoch) return { recovered: false, publications: [] };
  if (pubs.length === 0) {
    return top.offset === since.offset ? { recovered: true, publications: [] } : { recovered: false, publications: [] };
  }
  const first = pubs[0]!;
  const last = pubs[pubs.length - 1]!;
  if (first.offset === since.offset + 1 && last.offset === top.offset) return { recovered: true, publications: pubs };
  return { recovered: false, publications: [] };
}

/** Cache mode: only the latest publication matters. */
export function recoverCache(since: StreamPosition, latest: Publication | undefined, top: StreamPosition): RecoveryOutcome {
  // A client that never saw an offset (0) has nothing yet, whatever the top is.
  const atTop = since.offset > 0 && since.offset === top.offset && since.epoch === top.epoch;
  if (!latest) return { recovered: atTop, publications: [] };
  return { recovered: true, publications: atTop ? [] : [latest] };
}
