// What every client session of one server shares: the node it lives on, and
// the token verifiers its connect, refresh and subscribe commands check
// tokens with. Tokens are a client-session concern: the node (publish path,
// hub, client index, control plane) never sees one. The server builds this
// once and the transports hand it to each session they create.

import type { Verifiers } from '../auth/verifiers.js';
import type { Node } from '../node/node.js';
import type { Proxies } from '../proxy/proxies.js';

export interface SessionContext {
  readonly node: Node;
  readonly verifiers: Verifiers;
  /** The backend endpoints sessions ask (built from the config once per server). */
  readonly proxies: Proxies;
}
