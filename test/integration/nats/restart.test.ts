// NATS restarted under traffic. No node crashes; while NATS is gone,
// publishes fail with the retryable internal error and /health says 503 with
// the broker's reason; once it is back, /health is green again, the nodes'
// subscriptions are restored (what is published through one node reaches a
// client of the other, which stayed connected throughout), and the broker
// tells the node its channels may have missed publications (onDeliveryGap:
// positioned subscribers re-check; with a Nats broker there is no history, so
// the rest is lost, as in Centrifugo).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { RecordingHandler } from '../../broker-suite.js';
import { natsBroker, natsOptions } from '../../helpers/nats.js';
import { spawnTributary, steadyPublisher, waitFor as waitUntil, writeConfig, type Proc } from '../../helpers/process.js';
import { collect, once, sdkClient, waitFor } from '../../helpers/sdk.js';
import { token } from '../../helpers/server.js';
import { natsNodeConfig } from './helpers.js';

// Its own NATS, so stopping it disturbs no other test.
const PORT = '14223';
const root = fileURLToPath(new URL('../../..', import.meta.url));
const nats = (...args: string[]) => spawnSync('bash', ['scripts/services/nats.sh', ...args, PORT], { cwd: root, encoding: 'utf8' });
const nodes: Proc[] = [];

after(async () => {
  for (const n of nodes) if (n.proc.exitCode === null) n.proc.kill('SIGKILL');
  await Promise.all(nodes.map((n) => n.exited));
  nats('stop');
});

const health = async (p: Proc) => {
  const res = await fetch(`${p.httpUrl}/health`);
  return { status: res.status, body: (await res.json()) as any };
};

describe('NATS restart under traffic', () => {
  it('no crash, retryable errors and 503 while down; subscriptions, health and delivery back after', async (t) => {
    const up = nats('ensure');
    assert.equal(up.status, 0, up.stderr);
    const url = up.stdout.trim().split('\n').pop()!;
    const prefix = `restart-${process.pid}`;
    const file = writeConfig(natsNodeConfig({ url, prefix }));
    const [A, B] = (await Promise.all([spawnTributary(file), spawnTributary(file)])) as [Proc, Proc];
    nodes.push(A, B);
    // A broker in this process as well, to see what the node is told after the reconnect.
    const probe = natsBroker(natsOptions({ url, prefix }));
    const probeEvents = new RecordingHandler();
    await probe.start(probeEvents);
    await probe.subscribe(['room:restart']);

    const client = sdkClient(A.wsUrl, { token: await token('dana') });
    const sub = client.newSubscription('room:restart');
    const pubs = collect(sub, 'publication');
    client.connect();
    sub.subscribe();
    await once(sub, 'subscribed');

    const publisher = steadyPublisher(B.httpUrl, 'room:restart');
    const { acked, failures } = publisher;

    await waitFor(() => acked.length >= 30, 5000, 'traffic before the outage');
    assert.equal(nats('stop').status, 0);
    await waitUntil(async () => (await health(A)).status === 503, 5000, 'node A reporting the lost broker');
    const down = await health(B);
    assert.equal(down.status, 503);
    assert.equal(down.body.status, 'unhealthy');
    assert.equal(down.body.engine.name, 'nats+memory-presence');
    assert.match(down.body.engine.detail, /^broker: nats nats:\/\/127\.0\.0\.1:14223: /);
    assert.equal(probe.health().healthy, false);
    const failedBefore = failures.length;
    await waitFor(() => failures.length >= failedBefore + 5, 5000, 'publishes failing during the outage');
    for (const f of failures) assert.deepEqual(f, { code: 100, message: 'internal server error' }, 'the retryable internal error');

    assert.equal(nats('ensure').status, 0);
    await waitUntil(async () => (await health(A)).status === 200 && (await health(B)).status === 200, 15_000, 'both nodes healthy again');
    await waitFor(() => probeEvents.gaps.some((g) => g.includes('room:restart')), 5000, 'the delivery gap reported after the reconnect');
    const firstAfter = acked.length;
    await waitFor(() => acked.length >= firstAfter + 30, 10_000, 'traffic after the outage');
    await publisher.stop();

    const after = acked.slice(firstAfter);
    await waitFor(() => after.every((i) => pubs.some((p) => p.data.i === i)), 10_000, 'every publication acknowledged after the restart, on node A');
    const got = pubs.map((p) => p.data.i as number);
    assert.deepEqual(
      got,
      [...got].sort((x, y) => x - y),
      'in order, once',
    );
    assert.ok(
      got.every((i) => acked.includes(i)),
      'nothing that failed was delivered',
    );
    assert.equal(client.state, 'connected', 'the client stayed connected');
    assert.equal(A.proc.exitCode, null, 'node A still running');
    assert.equal(B.proc.exitCode, null, 'node B still running');
    t.diagnostic(`${acked.length} acknowledged, ${failures.length} failed during the outage, ${got.length} delivered to node A's client`);
    await probe.close();
    client.disconnect();
    assert.deepEqual(await Promise.all([A.stop(), B.stop()]), [0, 0]);
  });
});
