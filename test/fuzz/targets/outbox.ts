// Rows of the PostgreSQL outbox table: a method column and a payload column
// (jsonb text, or any text), handed to consumeCommand as the worker does. It
// must never throw: a row that can never work is dead-lettered with a reason.

import { jsonSeed, seed, type FuzzTarget } from '../target.js';
import { consume } from './consumer-shape.js';

const METHODS = ['publish', 'broadcast', 'subscribe', 'unsubscribe', 'disconnect', 'history_remove', 'refresh', 'presence', ''];

export const outboxRow: FuzzTarget = {
  name: 'outbox-row',
  description: 'PostgreSQL outbox rows: method + payload (consumeCommand)',
  format: 'json',
  variants: METHODS,
  seeds: [
    jsonSeed({ channel: 'chat:1', data: { text: 'hi' }, tags: { a: 'b' } }, 'publish'),
    jsonSeed({ channels: ['a', 'b'], b64data: 'AAE=', idempotency_key: '' }, 'broadcast'),
    jsonSeed({ channel: 'news', user: 'u', info: { x: 1 }, override: { presence: { value: true } } }, 'subscribe'),
    jsonSeed({ channel: 'news', user: 'u' }, 'unsubscribe'),
    jsonSeed({ user: 'u', disconnect: { code: 4000, reason: 'r' } }, 'disconnect'),
    jsonSeed({ channel: 'chat:1' }, 'history_remove'),
    jsonSeed({ user: 'u', expired: true }, 'refresh'),
    jsonSeed({ method: 'publish', payload: { channel: 'chat:1', data: 1 } }, ''),
    seed('"{\\"channel\\":\\"x\\"}"', 'publish'),
  ],
  run: ({ variant, data }) => consume(variant, data.toString('utf8'), 'outbox:fuzz:1'),
  expected: () => false,
};
