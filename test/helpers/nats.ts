// The test NATS server, started by the runner or, for a file run on its own,
// by scripts/services/nats.sh (see services.ts).

import { serviceAddress } from './services.js';

/** The shared test NATS (nats://127.0.0.1:14222 unless the runner says otherwise). */
export function natsUrl(): string {
  return serviceAddress('TRIBUTARY_TEST_NATS_URL', 'scripts/services/nats.sh');
}
