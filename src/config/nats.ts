// The `broker.nats` block: Centrifugo v6 `configtypes.NatsBroker` (url,
// prefix, dial_timeout, write_timeout, tls, allow_wildcards, raw_mode), with
// Centrifugo's defaults. The Nats broker is PUB/SUB only: no history, so
// recovery, positioning and client history calls answer 108 "not available"
// at request time (the API's history 100), as in Centrifugo, which does not
// refuse such a config at start; natsHistoryWarnings says so at load instead.

import type { z } from 'zod';
import { bool, duration, section, str, strMap, type Report } from './fields.js';
import { TLS } from './tls.js';

const positive = { orDefault: 'nonPositive' } as const;
const q = JSON.stringify;

export const NATS = section('The Nats broker: PUB/SUB between nodes over a NATS server (no history).', {
  url: str('nats://localhost:4222', 'NATS server URL (nats:// or tls://); several, comma-separated, for a NATS cluster.'),
  prefix: str('centrifugo', 'Prefix of every subject (<prefix>.client.<channel>, <prefix>.control, <prefix>.node.<id>); nodes with one prefix form one hub.'),
  dial_timeout: duration('1s', 'Timeout for establishing a connection to the NATS server.', positive),
  write_timeout: duration('1s', 'A subscribe not confirmed by the NATS server in this time fails (retryable).', positive),
  tls: TLS,
  allow_wildcards: bool(
    false,
    'Subscriptions to channels with NATS wildcards (news.* or news.>): a publication to news.sport reaches them with its channel in the publication. Publishing to such a channel is refused; join/leave and presence do not span them.',
  ),
  raw_mode: section('Raw mode: channels are NATS subjects under raw_mode.prefix, and payloads travel as they are (no info, tags or join/leave).', {
    enabled: bool(false, 'Publish and subscribe on plain subjects, payloads as they are.'),
    channel_replacements: strMap('Replacements applied to a channel name to make its subject, e.g. {":": "."}.'),
    prefix: str('', 'Prefix of the subjects in raw mode (empty by default).'),
  }),
});

export type NatsOptions = z.output<typeof NATS>;

/** The checks of a block in use (an unused block is not checked, as in Centrifugo). */
export function checkNats(o: NatsOptions, report: Report): void {
  for (const url of o.url.split(',').map((u) => u.trim())) {
    const problem = natsUrlProblem(url);
    if (problem) report('url', problem);
  }
}

function natsUrlProblem(url: string): string | undefined {
  if (url === '') return 'must not be empty';
  const withScheme = url.includes('://') ? url : `nats://${url}`;
  try {
    const u = new URL(withScheme);
    if (!['nats:', 'tls:'].includes(u.protocol)) return `${q(url)}: the scheme must be nats:// or tls://`;
    if (u.hostname === '') return `${q(url)} names no host`;
  } catch {
    return `${q(url)} is not a NATS URL`;
  }
  return undefined;
}

/** What a namespace asks that a broker without history cannot give. */
interface HistoryAsks {
  history_size: number;
  history_ttl: number;
  force_recovery: boolean;
  force_positioning: boolean;
}

/**
 * Warnings for channel options that need history when the broker keeps none:
 * Centrifugo starts with them and then answers 108 "not available" to the
 * history call and to positioned or recovering subscriptions; Tributary does
 * the same, and says so once at start.
 */
export function natsHistoryWarnings(namespaces: Array<{ name: string; options: HistoryAsks }>, report: (warning: string) => void): void {
  for (const { name, options: o } of namespaces) {
    const asks = [
      o.history_size > 0 || o.history_ttl > 0 ? 'history' : '',
      o.force_recovery ? 'force_recovery' : '',
      o.force_positioning ? 'force_positioning' : '',
    ].filter(Boolean);
    if (asks.length === 0) continue;
    report(
      `${name}: ${asks.join(', ')} with broker.type "nats", which keeps no history: positioned and recovering subscriptions and client history calls there fail with 108 "not available", the API's history with 100 (as in Centrifugo)`,
    );
  }
}
