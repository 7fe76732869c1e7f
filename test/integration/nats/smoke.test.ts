// The NATS the Nats broker tests use (scripts/services/nats.sh): it answers,
// and a message published with the official Node client comes back to a
// subscriber of the subject, bytes intact.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { connect } from '@nats-io/transport-node';
import { natsUrl } from '../../helpers/nats.js';

describe('test NATS', () => {
  it('carries a message from a publisher to a subscriber', async () => {
    const nc = await connect({ servers: natsUrl(), timeout: 2000 });
    try {
      const subject = `tributary-smoke.${randomBytes(6).toString('hex')}`;
      const sub = nc.subscribe(subject, { max: 1 });
      await nc.flush();
      const payload = Uint8Array.from([0, 1, 2, 255]);
      nc.publish(subject, payload);
      for await (const m of sub) {
        assert.deepEqual([...m.data], [...payload]);
        assert.equal(m.subject, subject);
      }
      assert.match(nc.info?.version ?? '', /^2\./);
    } finally {
      await nc.close();
    }
  });
});
