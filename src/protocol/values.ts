// Protocol values for ClientInfo and Publication, shared by both codecs and
// the server API: snake_case field names as in client.proto, raw payloads as
// Buffers, empty fields left out.

import type { JsonStringData } from './codec.js';
import type { ClientInfo, Publication } from './types.js';

export function clientInfoValue(info: ClientInfo): Record<string, unknown> {
  const out: Record<string, unknown> = { user: info.user, client: info.client };
  if (info.connInfo && info.connInfo.length > 0) out.conn_info = info.connInfo;
  if (info.chanInfo && info.chanInfo.length > 0) out.chan_info = info.chanInfo;
  return out;
}

/**
 * The Publication as clients and the server API see it. `data` may be replaced
 * (a delta patch, or the JSON-string form delta subscribers need), and `delta`
 * marks a patch.
 */
export function publicationValue(pub: Publication, epoch?: string, data?: Buffer | JsonStringData, delta = false): Record<string, unknown> {
  const out: Record<string, unknown> = { data: data ?? pub.data };
  if (pub.info) out.info = clientInfoValue(pub.info);
  if (pub.offset > 0) out.offset = pub.offset;
  if (pub.tags && Object.keys(pub.tags).length > 0) out.tags = pub.tags;
  if (pub.channel) out.channel = pub.channel;
  if (delta) out.delta = true;
  if (epoch) out.epoch = epoch;
  return out;
}
