// What the node may rely on in a publication or client info decoded from
// another node's message (Redis, NATS): the hub encodes these fields into
// every subscriber's frame, so a wrong type here is a crash there.

import type { ClientInfo, Publication } from '../../../src/protocol/types.js';
import { check } from '../target.js';

export function checkInfo(info: ClientInfo, what: string): void {
  check(typeof info.user === 'string' && typeof info.client === 'string', `${what}: user and client must be strings`);
  check(info.connInfo === undefined || Buffer.isBuffer(info.connInfo), `${what}: conn_info must be bytes`);
  check(info.chanInfo === undefined || Buffer.isBuffer(info.chanInfo), `${what}: chan_info must be bytes`);
}

export function checkPublication(pub: Publication, what: string): void {
  check(Buffer.isBuffer(pub.data), `${what}: data must be bytes`);
  check(Number.isSafeInteger(pub.offset) && pub.offset >= 0, `${what}: offset ${pub.offset} is not a non-negative integer`);
  if (pub.info !== undefined) checkInfo(pub.info, `${what}.info`);
  if (pub.tags !== undefined)
    check(
      Object.values(pub.tags).every((v) => typeof v === 'string'),
      `${what}: tags must be strings`,
    );
  check(pub.time === undefined || Number.isFinite(pub.time), `${what}: time must be a number`);
}
