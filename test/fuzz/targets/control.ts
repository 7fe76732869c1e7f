// Control messages between nodes (heartbeats, by-user commands, surveys):
// Tributary's JSON envelope {v, uid, type, body}. decodeControl refuses
// anything off with ControlDecodeError, which the control plane counts
// (tributary_node_control_messages_invalid_total) and drops.

import { CONTROL_TYPES, ControlDecodeError, decodeControl, encodeControl } from '../../../src/node/control/messages.js';
import { check, seed, type FuzzTarget } from '../target.js';

const node = { uid: 'n1', name: 'node-1', version: '0.1.0 OSS', num_clients: 3, num_users: 2, num_channels: 5, num_subs: 7, uptime: 60 };
const selector = { user: 'u1', client: 'c1', session: 's1' };

export const control: FuzzTarget = {
  name: 'control',
  description: 'control messages from other nodes (decodeControl)',
  format: 'json',
  seeds: [
    encodeControl('n1', { type: 'node', body: { ...node, metrics: { interval: 60, items: { a: 1.5 } } } }),
    encodeControl('n1', { type: 'shutdown', body: {} }),
    encodeControl('n1', {
      type: 'subscribe',
      body: {
        ...selector,
        channel: 'news',
        expireAtSec: 1700000000,
        chanInfo: Buffer.from('{}'),
        data: Buffer.from([0, 1]),
        override: { presence: true },
        recoverSince: { offset: 4, epoch: 'e' },
      },
    }),
    encodeControl('n1', { type: 'unsubscribe', body: { ...selector, channel: 'news' } }),
    encodeControl('n1', { type: 'disconnect', body: { ...selector, code: 4000, reason: 'bye', whitelist: ['c2'] } }),
    encodeControl('n1', { type: 'refresh', body: { ...selector, expired: false, expireAtSec: 1700000000, info: Buffer.from('{}') } }),
    encodeControl('n1', { type: 'survey_request', body: { id: 'q1', op: 'channels', data: { pattern: 'chat:*' } } }),
    encodeControl('n1', { type: 'survey_response', body: { id: 'q1', code: 0, data: { 'chat:1': 2 } } }),
  ].map((b) => seed(b)),
  run({ data }) {
    const m = decodeControl(data);
    check(typeof m.uid === 'string' && m.uid !== '', 'uid must be a non-empty string');
    check(CONTROL_TYPES.includes(m.type), `unknown type ${m.type}`);
    check(typeof m.body === 'object' && m.body !== null, 'body must be an object');
  },
  expected: (err) => err instanceof ControlDecodeError,
};
