// The Nats broker against a real NATS (scripts/services/nats.sh, started by
// `npm test`; TRIBUTARY_TEST_NATS_URL points at it): the PUB/SUB part of the
// broker contract, then what is particular to it: the subjects and the wire
// format Centrifugo's Nats broker uses (a protobuf Push on
// <prefix>.client.<channel>), control messages, raw mode, wildcard channels
// refused, and a dead server refused at start. Every broker has a prefix of
// its own, so runs never see each other's messages.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { connect } from '@nats-io/transport-node';
import { runBrokerSuite, RecordingHandler } from '../../broker-suite.js';
import { natsBroker, natsOptions, natsUrl } from '../../helpers/nats.js';
import { decodeMessage, encodeMessage } from '../../../src/protocol/protobuf/message.js';
import { Push } from '../../../src/protocol/protobuf/schema.js';
import { EngineUnavailableError } from '../../../src/engines/availability.js';
import { natsServers, withIpIdentity } from '../../../src/engines/nats/nats-broker.js';
import { corruptMessagesCounter } from '../../../src/engines/corrupt-messages.js';
import { Metrics } from '../../../src/metrics.js';
import type { PeerCertificate } from 'node:tls';

runBrokerSuite('nats', async () => natsBroker(), { history: false });

const NO_HISTORY = { historySize: 0, historyTtlMs: 0, historyMetaTtlMs: 0 };

async function rawClient() {
  return connect({ servers: natsUrl(), timeout: 2000 });
}

describe('Nats broker specifics', () => {
  it('puts a protobuf Push on <prefix>.client.<channel>, and reads one put there by another (a Centrifugo node)', async () => {
    const options = natsOptions();
    const metrics = new Metrics({ defaultMetrics: false });
    const broker = natsBroker(options, metrics);
    const events = new RecordingHandler();
    await broker.start(events);
    const nc = await rawClient();
    try {
      const seen: Array<{ subject: string; push: any }> = [];
      nc.subscribe(`${options.prefix}.client.>`, {
        callback: (_e, m) => {
          // Only the broker's own two: the test's garbage below is for the broker to drop.
          if (seen.length < 2) seen.push({ subject: m.subject, push: decodeMessage(Buffer.from(m.data), Push) });
        },
      });
      await nc.flush();
      await broker.subscribe(['chat:1']);
      await broker.publish('chat:1', Buffer.from('{"a":1}'), { ...NO_HISTORY, tags: { t: 'v' }, info: { user: 'u', client: 'c' } });
      await broker.publishJoin('chat:1', { user: 'u', client: 'c' });
      await events.waitFor(() => seen.length === 2, 'two messages on NATS');
      assert.equal(seen[0]!.subject, `${options.prefix}.client.chat:1`);
      assert.equal(seen[0]!.push.channel, 'chat:1');
      assert.equal(Buffer.from(seen[0]!.push.pub.data).toString(), '{"a":1}');
      assert.deepEqual(seen[0]!.push.pub.tags, { t: 'v' });
      assert.equal(seen[0]!.push.pub.info.user, 'u');
      assert.ok(Number(seen[0]!.push.pub.time) > 0);
      assert.equal(seen[1]!.push.join.info.client, 'c');

      // What a Centrifugo node publishes (its Push, with the epoch tag it may add) reaches this node.
      nc.publish(`${options.prefix}.client.chat:1`, encodeMessage(Push, { channel: 'chat:1', pub: { data: Buffer.from('"go"'), time: 1 } }));
      nc.publish(`${options.prefix}.client.chat:1`, encodeMessage(Push, { channel: 'chat:1', leave: { info: { user: 'g', client: 'gc' } } }));
      nc.publish(`${options.prefix}.client.chat:1`, Buffer.from('not protobuf at all \xff'));
      await events.waitFor(() => events.on('chat:1').length === 2 && events.leaves.length === 1, 'the foreign publication and leave');
      assert.equal(events.on('chat:1')[1]!.pub.data.toString(), '"go"');
      assert.equal(events.leaves[0]!.info.user, 'g');
      // The garbage was dropped and counted (it was sent before the leave, so it has been handled).
      assert.equal(broker.stats.malformedMessages, 1);
      const counted = (await corruptMessagesCounter(metrics).get()).values.map((v) => [v.labels.broker, v.labels.kind, v.value]);
      assert.deepEqual(counted, [['nats', 'unknown', 1]]);
    } finally {
      await nc.close();
      await broker.close();
    }
  });

  it('control: broadcast on <prefix>.control reaches every node (the sender too), targeted on <prefix>.node.<id> only that one', async () => {
    const options = natsOptions();
    const [a, b] = [natsBroker(options), natsBroker(options)];
    const [ea, eb] = [new RecordingHandler(), new RecordingHandler()];
    await a.start(ea);
    await b.start(eb);
    const nc = await rawClient();
    try {
      const subjects: string[] = [];
      nc.subscribe(`${options.prefix}.>`, {
        callback: (_e, m) => {
          subjects.push(m.subject);
        },
      });
      await nc.flush();
      await a.publishControl(Buffer.from('all'));
      await a.publishControl(Buffer.from('to-b'), eb.id);
      await eb.waitFor(() => eb.controls.length === 2 && ea.controls.length === 1, 'control messages');
      assert.deepEqual(
        eb.controls.map((c) => c.toString()),
        ['all', 'to-b'],
      );
      assert.deepEqual(
        ea.controls.map((c) => c.toString()),
        ['all'],
      );
      assert.deepEqual(subjects, [`${options.prefix}.control`, `${options.prefix}.node.${eb.id}`]);
    } finally {
      await nc.close();
      await a.close();
      await b.close();
    }
  });

  it('raw mode: payloads as they are on raw_mode.prefix + the replaced channel; no join/leave', async () => {
    const options = natsOptions({ raw_mode: { enabled: true, prefix: `raw-${Date.now()}.`, channel_replacements: { ':': '.' } } });
    const broker = natsBroker(options);
    const events = new RecordingHandler();
    await broker.start(events);
    const nc = await rawClient();
    try {
      const subject = `${options.raw_mode.prefix}orders.eu`;
      const seen: string[] = [];
      nc.subscribe(`${options.raw_mode.prefix}>`, {
        callback: (_e, m) => {
          seen.push(`${m.subject} ${Buffer.from(m.data).toString()}`);
        },
      });
      await nc.flush();
      await broker.subscribe(['orders:eu']);
      await broker.publish('orders:eu', Buffer.from('{"id":1}'), { ...NO_HISTORY, tags: { dropped: 'yes' } });
      await broker.publishJoin('orders:eu', { user: 'u', client: 'c' });
      nc.publish(subject, Buffer.from('{"id":2}'));
      await events.waitFor(() => events.on('orders:eu').length === 2, 'two raw publications');
      assert.deepEqual(
        events.on('orders:eu').map((p) => p.pub.data.toString()),
        ['{"id":1}', '{"id":2}'],
      );
      assert.equal(events.on('orders:eu')[0]!.pub.tags, undefined);
      assert.deepEqual(seen, [`${subject} {"id":1}`, `${subject} {"id":2}`]);
      assert.equal(events.joins.length, 0);
    } finally {
      await nc.close();
      await broker.close();
    }
  });

  it('with allow_wildcards, news.* and news.> get publications to news.sport with the concrete channel; joins and leaves stay on news.sport', async () => {
    const options = natsOptions({ allow_wildcards: true });
    const broker = natsBroker(options);
    const other = natsBroker(options);
    const events = new RecordingHandler();
    await broker.start(events);
    await other.start(new RecordingHandler());
    try {
      await broker.subscribe(['news.*', 'news.>', 'news.sport']);
      await other.publish('news.sport', Buffer.from('"goal"'), NO_HISTORY);
      await other.publishJoin('news.sport', { user: 'u', client: 'c' });
      await other.publish('news.sport.live', Buffer.from('"deep"'), NO_HISTORY);
      await events.waitFor(() => events.publications.length === 4 && events.joins.length === 1, 'four publications and a join');
      const seen = events.publications.map((p) => [p.channel, p.pub.channel, p.pub.data.toString()]).sort();
      assert.deepEqual(seen, [
        ['news.*', 'news.sport', '"goal"'],
        ['news.>', 'news.sport', '"goal"'],
        ['news.>', 'news.sport.live', '"deep"'],
        ['news.sport', undefined, '"goal"'],
      ]);
      assert.deepEqual(events.joins, [{ channel: 'news.sport', info: { user: 'u', client: 'c' } }]);
      // Publishing to a wildcard channel stays refused.
      await assert.rejects(other.publish('news.*', Buffer.from('1'), NO_HISTORY), (err: any) => err?.error?.code === 107);
    } finally {
      await broker.close();
      await other.close();
    }
  });

  it('channels with NATS wildcards are refused with 107 bad request, as in Centrifugo', async () => {
    const broker = natsBroker();
    await broker.start(new RecordingHandler());
    try {
      const badRequest = (err: any) => err?.error?.code === 107;
      await assert.rejects(broker.publish('news.*', Buffer.from('1'), NO_HISTORY), badRequest);
      await assert.rejects(broker.subscribe(['ok', 'news.>']), badRequest);
    } finally {
      await broker.close();
    }
  });

  it('a server that does not answer fails the start with the retryable error; a closed broker refuses publishes', async () => {
    const dead = natsBroker(natsOptions({ url: 'nats://127.0.0.1:1', dial_timeout: '300ms' }));
    await assert.rejects(
      dead.start(new RecordingHandler()),
      (err: unknown) => err instanceof EngineUnavailableError && /nats nats:\/\/127\.0\.0\.1:1/.test(err.message),
    );
    assert.equal(dead.health().healthy, false);
    const broker = natsBroker();
    await broker.start(new RecordingHandler());
    await broker.close();
    assert.deepEqual(broker.health(), { healthy: false, detail: `nats ${natsUrl()}: closed` });
    await assert.rejects(broker.publish('a', Buffer.from('1'), NO_HISTORY), EngineUnavailableError);
  });
});

describe('Nats broker TLS identity (nats.js names no server for an IP URL, so Node checks "localhost")', () => {
  const forIp = (ip: string) => ({ subject: { CN: ip }, subjectaltname: `IP Address:${ip}` }) as unknown as PeerCertificate;
  const check = (servers: string[], host: string, cert: PeerCertificate, servername = '') =>
    withIpIdentity(servername ? { servername } : {}, servers).checkServerIdentity?.(host, cert);

  it('a certificate for one of the URLs’ IP addresses passes the check for "localhost"; one for another address does not', () => {
    const servers = natsServers('nats://10.0.0.5:4222,nats://[::1]:4222').servers;
    assert.equal(check(servers, 'localhost', forIp('10.0.0.5')), undefined);
    assert.equal(check(servers, 'localhost', forIp('::1')), undefined);
    assert.ok(check(servers, 'localhost', forIp('10.0.0.6')) instanceof Error);
    // A name nats.js did give (a resolved host name) is checked as it is.
    assert.ok(check(servers, 'nats.example', forIp('10.0.0.5')) instanceof Error);
  });

  it('leaves Node’s check alone with tls.server_name or host names only', () => {
    assert.equal(withIpIdentity({ servername: 'nats.example' }, ['nats://10.0.0.5:4222']).checkServerIdentity, undefined);
    assert.equal(withIpIdentity({}, ['nats://nats.example:4222']).checkServerIdentity, undefined);
  });
});
