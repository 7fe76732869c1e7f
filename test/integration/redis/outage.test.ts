// Redis goes away under traffic and comes back (with its data, as a Redis with
// persistence does). No node crashes; publishes during the outage fail with
// the retryable internal error; /health says 503 while the engine is down;
// afterwards a recoverable subscriber holds every publication that was
// acknowledged, in order and once — the ones from around the gap recovered
// from history.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { cleanUp, ownRedisPrefix } from '../../helpers/cleanup.js';
import { spawnTributary, steadyPublisher, waitFor as waitUntil, writeConfig, type Proc } from '../../helpers/process.js';
import { collect, once, sdkClient, waitFor } from '../../helpers/sdk.js';
import { token } from '../../helpers/server.js';
import { nodeConfig } from './helpers.js';

// Its own Redis, so stopping it disturbs no other test.
const PORT = '16382';
const root = fileURLToPath(new URL('../../..', import.meta.url));
const redis = (...args: string[]) => spawnSync('bash', ['scripts/services/redis.sh', ...args, PORT], { cwd: root, encoding: 'utf8' });
const nodes: Proc[] = [];

/** The test Redis's pid, for SIGSTOP/SIGCONT. */
const redisPid = () => Number(readFileSync(`${root}/.cache/redis-${PORT}/redis.pid`, 'utf8').trim());
let frozen = false;

after(async () => {
  if (frozen) process.kill(redisPid(), 'SIGCONT');
  for (const n of nodes) if (n.proc.exitCode === null) n.proc.kill('SIGKILL');
  await Promise.all(nodes.map((n) => n.exited));
  try {
    // Up again if the test failed during the outage, so the keys can go.
    if (redis('ensure').status === 0) await cleanUp();
  } finally {
    redis('stop');
    // SHUTDOWN SAVE below wrote the streams to disk, and the next start would load them again.
    rmSync(`${root}/.cache/redis-${PORT}/dump.rdb`, { force: true });
  }
});

describe('Redis outage under traffic', () => {
  it('no crash, retryable errors while down, 503 health, and subscribers end up with every acknowledged publication', async (t) => {
    const up = redis('ensure');
    assert.equal(up.status, 0, up.stderr);
    const url = up.stdout.trim().split('\n').pop()!;
    const file = writeConfig(nodeConfig(url, ownRedisPrefix(url, 'outage')));
    const [A, B] = (await Promise.all([spawnTributary(file), spawnTributary(file)])) as [Proc, Proc];
    nodes.push(A, B);

    const client = sdkClient(A.wsUrl, { token: await token('dana') });
    const sub = client.newSubscription('room:outage');
    const pubs = collect(sub, 'publication');
    const subscribed = collect(sub, 'subscribed');
    client.connect();
    sub.subscribe();
    await once(sub, 'subscribed');

    const publisher = steadyPublisher(B.httpUrl, 'room:outage');
    const { acked, failures } = publisher;

    await waitFor(() => acked.length >= 30, 5000, 'traffic before the outage');
    // SHUTDOWN SAVE writes the data out even without save points, so the restart keeps the streams.
    spawnSync('redis-cli', ['-p', PORT, 'shutdown', 'save'], { encoding: 'utf8' });
    await waitUntil(async () => (await fetch(`${A.httpUrl}/health`)).status === 503, 5000, 'node A reporting the dead engine');
    const health = (await (await fetch(`${B.httpUrl}/health`)).json()) as { status: string; engine: { name: string } };
    assert.equal(health.status, 'unhealthy');
    assert.equal(health.engine.name, 'redis');
    const failedBefore = failures.length;
    await waitFor(() => failures.length >= failedBefore + 5, 5000, 'publishes failing during the outage');
    for (const f of failures) assert.deepEqual(f, { code: 100, message: 'internal server error' }, 'the retryable internal error');

    assert.equal(redis('ensure').status, 0);
    await waitUntil(async () => (await fetch(`${A.httpUrl}/health`)).status === 200, 15_000, 'node A healthy again');
    const ackedAtReturn = acked.length;
    await waitFor(() => acked.length >= ackedAtReturn + 30, 10_000, 'traffic after the outage');
    await publisher.stop();

    await waitFor(() => pubs.length >= acked.length, 10_000, `all ${acked.length} acknowledged publications at the subscriber`);
    assert.deepEqual(
      pubs.map((p) => p.data.i),
      acked,
      'every acknowledged publication, in order, once',
    );
    // Told to resubscribe only if the stream moved past it during the gap; then it recovered.
    if (subscribed.length > 1) assert.equal(subscribed.at(-1).recovered, true, 'recovered from history');
    assert.equal(A.proc.exitCode, null, 'node A still running');
    assert.equal(B.proc.exitCode, null, 'node B still running');
    t.diagnostic(`${acked.length} acknowledged, ${failures.length} failed during the outage`);
    client.disconnect();
    assert.deepEqual(await Promise.all([A.stop(), B.stop()]), [0, 0]);
  });

  it('a frozen Redis (connections open, nothing answered) makes /health 503 after a command times out, and 200 once it answers again', async () => {
    const up = redis('ensure');
    assert.equal(up.status, 0, up.stderr);
    const url = up.stdout.trim().split('\n').pop()!;
    const prefix = ownRedisPrefix(url, 'freeze');
    const file = writeConfig(nodeConfig(url, prefix, { engine: { type: 'redis', redis: { address: [url], prefix, io_timeout: '500ms' } } }));
    const node = await spawnTributary(file);
    nodes.push(node);
    const publisher = steadyPublisher(node.httpUrl, 'room:freeze');
    await waitFor(() => publisher.acked.length >= 10, 5000, 'traffic before the freeze');
    assert.equal((await fetch(`${node.httpUrl}/health`)).status, 200);

    process.kill(redisPid(), 'SIGSTOP');
    frozen = true;
    try {
      await waitFor(() => publisher.failures.length >= 1, 5000, 'a publish timing out');
      const res = await fetch(`${node.httpUrl}/health`);
      assert.equal(res.status, 503, 'the stalled engine is reported');
      const health = (await res.json()) as { engine: { name: string; detail?: string } };
      assert.equal(health.engine.name, 'redis');
      assert.match(health.engine.detail ?? '', /no answer within io_timeout/);
    } finally {
      process.kill(redisPid(), 'SIGCONT');
      frozen = false;
    }
    await waitUntil(async () => (await fetch(`${node.httpUrl}/health`)).status === 200, 10_000, 'healthy once Redis answers');
    const ackedAfter = publisher.acked.length;
    await waitFor(() => publisher.acked.length >= ackedAfter + 10, 10_000, 'traffic after the freeze');
    await publisher.stop();
    for (const f of publisher.failures) assert.deepEqual(f, { code: 100, message: 'internal server error' }, 'the retryable internal error');
    assert.equal(await node.stop(), 0);
  });
});
