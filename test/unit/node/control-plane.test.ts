// The control plane across linked in-process nodes: the registry behind
// `info`, surveys behind `channels`, and resilience to bad messages.

import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { Dispatcher } from '../../../src/api/dispatcher.js';
import type { ChannelSubscriber } from '../../../src/hub/hub.js';
import type { Node } from '../../../src/node/node.js';
import { encodeControl } from '../../../src/node/control/messages.js';
import { eventually, linkedNodes, settle, type NodeCluster } from '../../helpers/cluster.js';

/** A hub subscriber without a connection: enough for channel counts. */
function fakeSub(channel: string): ChannelSubscriber {
  return { channel, receivePublication() {}, receiveJoinLeave() {}, onDeliveryGap() {} };
}

function subscribe(node: Node, ...channels: string[]): void {
  for (const ch of channels) node.hub.add(fakeSub(ch));
}

async function api(node: Node, method: string, req: unknown = {}): Promise<any> {
  const reply = await new Dispatcher(node).dispatch(method, req);
  assert.equal(reply.error, undefined, JSON.stringify(reply.error));
  return reply.result;
}

const uids = async (node: Node): Promise<string[]> => (await api(node, 'info')).nodes.map((n: { uid: string }) => n.uid);

async function metricValue(node: Node, name: string, labels: Record<string, string>): Promise<number> {
  const metric = await node.metrics.registry.getSingleMetric(name)?.get();
  const v = metric?.values.find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
  return v?.value ?? 0;
}

describe('control plane', () => {
  let cluster: NodeCluster | undefined;
  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
  });

  describe('registry and info', () => {
    it('every node lists every node, itself first, fresh for itself', async () => {
      cluster = await linkedNodes(3);
      const [a, b, c] = cluster.nodes as [Node, Node, Node];
      // The newest node learns the older ones from their greeting, without waiting for a heartbeat.
      await eventually(() => [a, b, c].every((n) => n.control.nodes().length === 3), 1000, 'all nodes known');
      for (const n of [a, b, c]) {
        const ids = await uids(n);
        assert.equal(ids[0], n.id);
        assert.deepEqual([...ids].sort(), [a.id, b.id, c.id].sort());
      }
      subscribe(b, 'x', 'y');
      const own = (await api(b, 'info')).nodes[0];
      assert.deepEqual(
        Object.keys(own).filter((k) => k !== 'uptime'),
        ['uid', 'name', 'version', 'num_clients', 'num_users', 'num_channels', 'metrics', 'num_subs'],
      );
      assert.equal(own.name, 'node-1');
      assert.match(own.version, / OSS$/);
      assert.equal(own.num_channels, 2);
      const seenByA = (await api(a, 'info')).nodes.find((n: { uid: string }) => n.uid === b.id);
      assert.equal(seenByA.name, 'node-1');
      assert.equal(seenByA.num_channels, 0, 'others are as of their last heartbeat');
      assert.deepEqual(seenByA.metrics, (await api(b, 'info')).nodes[0].metrics, "a node's metrics travel with its heartbeat");
      assert.equal(await metricValue(a, 'centrifugo_node_num_nodes', {}), 3);
    });

    it('heartbeats refresh what others see', async () => {
      cluster = await linkedNodes(2, { control: { heartbeatIntervalMs: 20 } });
      const [a, b] = cluster.nodes as [Node, Node];
      subscribe(b, 'p', 'q', 'r');
      await eventually(() => a.control.nodes().find((n) => n.uid === b.id)?.num_channels === 3, 1000, 'heartbeat');
    });

    it('drops a node at once when it shuts down', async () => {
      cluster = await linkedNodes(3);
      const [a, b, c] = cluster.nodes as [Node, Node, Node];
      await eventually(() => a.control.nodes().length === 3 && c.control.nodes().length === 3);
      await b.shutdown();
      await settle();
      assert.deepEqual(await uids(a), [a.id, c.id]);
      assert.deepEqual(await uids(c), [c.id, a.id]);
    });

    it('drops a node that falls silent after the node TTL', async () => {
      cluster = await linkedNodes(2, { control: { heartbeatIntervalMs: 20, nodeTtlMs: 120, cleanIntervalMs: 50 } });
      const [a, b] = cluster.nodes as [Node, Node];
      await eventually(() => a.control.nodes().length === 2);
      // Still there well after several heartbeats.
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(a.control.nodes().length, 2);
      // B loses its link without a goodbye (crash, partition).
      cluster.brokers[1]!.isolated = true;
      const cut = Date.now();
      await eventually(() => a.control.registry.size === 0, 1000, 'silent node dropped');
      assert.ok(Date.now() - cut >= 100, 'not before the TTL');
      assert.deepEqual(await uids(a), [a.id]);
      // Back on the link: its next heartbeat makes it a member again.
      cluster.brokers[1]!.isolated = false;
      await eventually(() => a.control.nodes().length === 2, 1000, 'node back');
      assert.equal(b.control.nodes().length, 2);
    });

    it('runs its timers unref()ed and stops them on shutdown', async () => {
      cluster = await linkedNodes(1);
      const node = cluster.nodes[0]!;
      const timers = node.control as unknown as { heartbeatTimer: NodeJS.Timeout; cleanTimer: NodeJS.Timeout };
      assert.equal(timers.heartbeatTimer.hasRef(), false);
      assert.equal(timers.cleanTimer.hasRef(), false);
      await node.shutdown();
      assert.equal(timers.heartbeatTimer, null);
      assert.equal(timers.cleanTimer, null);
    });
  });

  describe('surveys and channels', () => {
    it('channels sums counts over every node and filters by pattern', async () => {
      cluster = await linkedNodes(3);
      const [a, b, c] = cluster.nodes as [Node, Node, Node];
      await eventually(() => [a, b, c].every((n) => n.control.nodes().length === 3));
      subscribe(a, 'news', 'news', 'chat:1');
      subscribe(b, 'news', 'chat:2');
      subscribe(c, 'chat:1', '__proto__');
      for (const n of [a, b, c]) {
        const all = (await api(n, 'channels')).channels;
        assert.deepEqual(all, {
          news: { num_clients: 3 },
          'chat:1': { num_clients: 2 },
          'chat:2': { num_clients: 1 },
          ['__proto__']: { num_clients: 1 },
        });
        assert.ok(Object.hasOwn(all, '__proto__'));
      }
      assert.deepEqual((await api(b, 'channels', { pattern: 'chat:*' })).channels, {
        'chat:1': { num_clients: 2 },
        'chat:2': { num_clients: 1 },
      });
    });

    it('a survey with no other node returns at once', async () => {
      cluster = await linkedNodes(1, { control: { surveyTimeoutMs: 60_000 } });
      const started = Date.now();
      const outcome = await cluster.nodes[0]!.control.survey('channels', {});
      assert.ok(Date.now() - started < 100);
      assert.deepEqual([...outcome.replies.keys()], [cluster.nodes[0]!.id]);
      assert.equal(outcome.timedOut, false);
    });

    it('a survey that times out returns the replies that arrived and names the missing nodes', async () => {
      cluster = await linkedNodes(3, { control: { surveyTimeoutMs: 150 } });
      const [a, b, c] = cluster.nodes as [Node, Node, Node];
      await eventually(() => a.control.nodes().length === 3);
      subscribe(b, 'from-b');
      subscribe(c, 'from-c');
      cluster.brokers[2]!.isolated = true; // C is still in A's registry but hears nothing
      const started = Date.now();
      const outcome = await a.control.survey('channels', {});
      assert.ok(Date.now() - started >= 140);
      assert.equal(outcome.timedOut, true);
      assert.deepEqual(outcome.missing, [c.id]);
      assert.deepEqual([...outcome.replies.keys()].sort(), [a.id, b.id].sort());
      assert.deepEqual((await api(a, 'channels')).channels, { 'from-b': { num_clients: 1 } });
    });

    it('stops waiting for a node that leaves during the survey', async () => {
      cluster = await linkedNodes(2, { control: { surveyTimeoutMs: 60_000 } });
      const [a, b] = cluster.nodes as [Node, Node];
      await eventually(() => a.control.nodes().length === 2);
      cluster.brokers[1]!.isolated = true;
      const pending = a.control.survey('channels', {});
      cluster.link.inject(encodeControl(b.id, { type: 'shutdown', body: {} }), a.id);
      const outcome = await pending;
      assert.equal(outcome.timedOut, false);
      assert.deepEqual(outcome.missing, [b.id]);
    });

    it('the survey is generic: any registered op, JSON data in and out', async () => {
      cluster = await linkedNodes(3);
      const [a, b, c] = cluster.nodes as [Node, Node, Node];
      await eventually(() => a.control.nodes().length === 3);
      for (const n of [a, b, c]) n.control.registerSurveyHandler('echo', (data) => ({ name: n.name, data }));
      b.control.registerSurveyHandler('only-some', () => 1);
      const outcome = await a.control.survey('echo', { x: [1, 'two'] });
      assert.deepEqual(
        [...outcome.replies.values()].map((r) => r.data).sort((x: any, y: any) => x.name.localeCompare(y.name)),
        ['node-0', 'node-1', 'node-2'].map((name) => ({ name, data: { x: [1, 'two'] } })),
      );
      const partial = await a.control.survey('only-some', null);
      assert.deepEqual(
        Object.fromEntries([...partial.replies].map(([uid, r]) => [uid, r.code])),
        { [a.id]: 3, [b.id]: 0, [c.id]: 3 },
        'method not found is code 3',
      );
    });

    it('channels fails with 100 when a node answers with an error', async () => {
      cluster = await linkedNodes(2);
      const [a, b] = cluster.nodes as [Node, Node];
      await eventually(() => a.control.nodes().length === 2);
      b.control.registerSurveyHandler('channels', () => {
        throw new Error('boom');
      });
      const reply = await new Dispatcher(a).dispatch('channels', {});
      assert.deepEqual(reply.error, { code: 100, message: 'internal server error' });
    });
  });

  describe('bad control messages', () => {
    it('are counted and ignored; the node keeps working', async () => {
      cluster = await linkedNodes(2);
      const [a, b] = cluster.nodes as [Node, Node];
      await eventually(() => a.control.nodes().length === 2);
      const bad = [
        'garbage',
        '{"v":1',
        '[]',
        '{"v":9,"uid":"x","type":"shutdown"}',
        '{"v":1,"uid":"x","type":"nope","body":{}}',
        '{"v":1,"uid":"x","type":"node","body":{"uid":"x","num_clients":"many"}}',
        // A heartbeat claiming to be another node.
        JSON.stringify({ v: 1, uid: 'intruder', type: 'node', body: { uid: b.id, name: 'fake' } }),
        '{"v":1,"uid":"x","type":"disconnect","body":{"user":"u","code":"3000"}}',
        '{"v":1,"uid":"x","type":"subscribe","body":{"user":"u","channel":"c","data":"%%%"}}',
        '{"v":1,"uid":"x","type":"survey_request","body":{"id":1,"op":"channels"}}',
      ];
      for (const m of bad) cluster.link.inject(m, a.id);
      cluster.link.inject(Buffer.from([0xff, 0xfe, 0x00]), a.id);
      await settle();
      assert.equal(
        (await metricValue(a, 'tributary_node_control_messages_invalid_total', { reason: 'bad_json' })) +
          (await metricValue(a, 'tributary_node_control_messages_invalid_total', { reason: 'bad_version' })) +
          (await metricValue(a, 'tributary_node_control_messages_invalid_total', { reason: 'unknown_type' })) +
          (await metricValue(a, 'tributary_node_control_messages_invalid_total', { reason: 'bad_field' })),
        bad.length + 1,
      );
      assert.equal(await metricValue(a, 'tributary_node_control_messages_invalid_total', { reason: 'unknown_type' }), 1);
      // Nothing changed: same registry, same names, surveys still work.
      assert.deepEqual(
        a.control.nodes().map((n) => n.name),
        ['node-0', 'node-1'],
      );
      subscribe(b, 'still');
      assert.deepEqual((await api(a, 'channels')).channels, { still: { num_clients: 1 } });
    });

    it('a reply to an unknown survey and a node message after shutdown are harmless', async () => {
      cluster = await linkedNodes(2);
      const [a, b] = cluster.nodes as [Node, Node];
      await eventually(() => a.control.nodes().length === 2);
      cluster.link.inject(encodeControl(b.id, { type: 'survey_response', body: { id: '999', code: 0, data: {} } }), a.id);
      await settle();
      await a.shutdown();
      a.onControl(encodeControl(b.id, { type: 'node', body: b.nodeInfo() }));
      assert.equal(a.control.registry.size, 0);
    });

    it('counts control messages by kind', async () => {
      cluster = await linkedNodes(2);
      const [a, b] = cluster.nodes as [Node, Node];
      await eventually(() => a.control.nodes().length === 2);
      await api(a, 'channels');
      await settle();
      assert.equal(await metricValue(a, 'tributary_node_control_messages_sent_total', { type: 'survey_request' }), 1);
      assert.equal(await metricValue(b, 'tributary_node_control_messages_received_total', { type: 'survey_request' }), 1);
      assert.equal(await metricValue(b, 'tributary_node_control_messages_sent_total', { type: 'survey_response' }), 1);
      assert.equal(await metricValue(a, 'tributary_node_control_messages_received_total', { type: 'survey_response' }), 1);
      assert.ok((await metricValue(a, 'centrifugo_node_messages_sent_count', { type: 'control' })) >= 2);
      // A node never counts its own broadcasts as received.
      assert.equal(await metricValue(a, 'tributary_node_control_messages_received_total', { type: 'survey_request' }), 0);
    });
  });
});
