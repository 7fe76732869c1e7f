// `admin`: the embedded admin web UI and its endpoints (Centrifugo's
// configtypes.Admin). Fail-closed as Centrifugo: with no password or secret
// the login and the API refuse, they do not open up.

import { bool, section, str } from './fields.js';

export const ADMIN = section(
  'The admin web UI: status of every node, API actions, channel tail, consumers.',
  {
    enabled: bool(false, 'Serve the admin UI and its endpoints.', { flag: true }),
    password: str('', 'Login password; the login refuses while it is empty.'),
    secret: str('', 'Key that signs the session tokens (HMAC-SHA256, valid 30 days); every node of a cluster needs the same one.'),
    insecure: bool(false, 'No login at all: anyone who reaches the UI runs every API method (development only).', { flag: true }),
    handler_prefix: str('', 'Path prefix of the UI and its endpoints; empty serves them at /.', { normalize: (p) => p.replace(/\/+$/, '') }),
    web_path: str('', 'Serve the UI files from this directory instead of the built-in ones.'),
    external: bool(false, 'Serve the admin on the external port even when an internal port is set.', { flag: true }),
  },
  {
    unsupported: { web_proxy_address: 'warn' },
    check(a, report) {
      if (a.handler_prefix !== '' && !a.handler_prefix.startsWith('/')) report('handler_prefix', `${JSON.stringify(a.handler_prefix)} must start with /`);
    },
  },
);
