import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ControlDecodeError, decodeControl, encodeControl, type ControlBody, type ControlMessage } from '../../../src/node/control/messages.js';

const UID = '6f1c2c36-6a43-4d1e-9d55-6a1d2f0e9b11';

function roundTrip(m: ControlBody): ControlMessage {
  return decodeControl(encodeControl(UID, m));
}

function refused(raw: string | object, failure?: string): void {
  const data = Buffer.from(typeof raw === 'string' ? raw : JSON.stringify(raw));
  assert.throws(
    () => decodeControl(data),
    (err: unknown) => err instanceof ControlDecodeError && (failure === undefined || err.failure === failure),
    typeof raw === 'string' ? raw : JSON.stringify(raw),
  );
}

describe('control messages', () => {
  it('refuses node metrics of the wrong shape', () => {
    const node = { uid: UID, name: 'n', version: 'v', num_clients: 0, num_users: 0, num_channels: 0, num_subs: 0, uptime: 1 };
    for (const metrics of [5, { interval: -1, items: {} }, { interval: 'x', items: {} }, { interval: 60, items: { a: 'one' } }, { interval: 60, items: [] }]) {
      refused({ v: 1, uid: UID, type: 'node', body: { ...node, metrics } });
    }
  });

  it('round-trips every kind', () => {
    const node = {
      uid: UID,
      name: 'n1',
      version: '0.1.0 OSS',
      num_clients: 3,
      num_users: 2,
      num_channels: 5,
      num_subs: 7,
      uptime: 12,
    };
    const cases: ControlBody[] = [
      { type: 'node', body: node },
      { type: 'node', body: { ...node, metrics: { interval: 60, items: { 'centrifugo.node.num_clients': 3 } } } },
      { type: 'shutdown', body: {} },
      {
        type: 'subscribe',
        body: {
          user: 'u',
          client: 'c',
          session: 's',
          channel: 'ns:ch',
          expireAtSec: 1_900_000_000,
          chanInfo: Buffer.from('{"a": 1}'),
          data: Buffer.from([0, 255, 10]),
          override: { presence: false, force_recovery: true },
          recoverSince: { offset: 5, epoch: 'abcd' },
        },
      },
      { type: 'unsubscribe', body: { user: '', client: '', session: '', channel: '' } },
      { type: 'disconnect', body: { user: 'u', client: '', session: '', code: 4001, reason: 'bye', whitelist: ['x', 'y'] } },
      { type: 'refresh', body: { user: 'u', client: '', session: '', expired: false, expireAtSec: 0, info: Buffer.from(' "spaced" ') } },
      { type: 'survey_request', body: { id: '7', op: 'channels', data: { pattern: 'a*' } } },
      { type: 'survey_response', body: { id: '7', code: 0, data: { a: 1 } } },
    ];
    for (const m of cases) {
      const back = roundTrip(m);
      assert.equal(back.uid, UID);
      assert.equal(back.type, m.type);
      if (m.type === 'subscribe' || m.type === 'refresh') {
        // Payload bytes arrive exactly, whitespace and non-JSON bytes included.
        assert.deepEqual(back.body, { ...m.body, client: m.body.client ?? '', session: m.body.session ?? '' });
      } else {
        assert.deepEqual(back.body, m.body);
      }
    }
  });

  it('keeps payloads absent when they were absent and empty when they were empty', () => {
    const back = roundTrip({ type: 'refresh', body: { user: 'u', expired: true, expireAtSec: 0 } });
    assert.equal(back.type === 'refresh' && back.body.info, undefined);
    const empty = roundTrip({ type: 'refresh', body: { user: 'u', expired: false, expireAtSec: 0, info: Buffer.alloc(0) } });
    assert.deepEqual(empty.type === 'refresh' && empty.body.info, Buffer.alloc(0));
  });

  it('refuses what is not a well-formed message', () => {
    refused('not json', 'bad_json');
    refused('[1,2]', 'bad_json');
    refused('null', 'bad_json');
    refused({ uid: UID, type: 'shutdown', body: {} }, 'bad_version');
    refused({ v: 2, uid: UID, type: 'shutdown', body: {} }, 'bad_version');
    refused({ v: 1, uid: UID, type: 'explode', body: {} }, 'unknown_type');
    refused({ v: 1, uid: UID, type: 'toString', body: {} }, 'unknown_type');
    refused({ v: 1, type: 'shutdown', body: {} }, 'bad_field');
    refused({ v: 1, uid: 7, type: 'shutdown', body: {} }, 'bad_field');
    refused({ v: 1, uid: UID, type: 'shutdown', body: 'x' }, 'bad_field');
    refused({ v: 1, uid: UID, type: 'node', body: { uid: UID, num_clients: '3' } }, 'bad_field');
    refused({ v: 1, uid: UID, type: 'node', body: { uid: UID, num_clients: -1 } }, 'bad_field');
    refused({ v: 1, uid: UID, type: 'node', body: { uid: UID, uptime: 1.5 } }, 'bad_field');
    refused({ v: 1, uid: UID, type: 'subscribe', body: { user: 'u' } }, 'bad_field');
    refused({ v: 1, uid: UID, type: 'subscribe', body: { user: 'u', channel: 'c', info: 'not base64!' } }, 'bad_field');
    refused({ v: 1, uid: UID, type: 'subscribe', body: { user: 'u', channel: 'c', override: { presence: 1 } } }, 'bad_field');
    refused({ v: 1, uid: UID, type: 'subscribe', body: { user: 'u', channel: 'c', recover_since: [] } }, 'bad_field');
    refused({ v: 1, uid: UID, type: 'disconnect', body: { user: 'u' } }, 'bad_field');
    refused({ v: 1, uid: UID, type: 'disconnect', body: { user: 'u', code: 3000, whitelist: [1] } }, 'bad_field');
    refused({ v: 1, uid: UID, type: 'refresh', body: { user: 'u', expired: 'yes' } }, 'bad_field');
    refused({ v: 1, uid: UID, type: 'survey_request', body: { id: '1' } }, 'bad_field');
    refused({ v: 1, uid: UID, type: 'survey_response', body: { id: '1', code: 'ok' } }, 'bad_field');
  });

  it('refuses a version of any shape as bad_version (found by npm run fuzz: a deeply nested one overflowed the stack)', () => {
    const deep = '{"a":'.repeat(20_000) + '1' + '}'.repeat(20_000);
    refused(`{"v":${deep},"uid":"n1","type":"shutdown"}`, 'bad_version');
    refused('{"v":[1],"uid":"n1","type":"shutdown"}', 'bad_version');
    refused('{"v":2,"uid":"n1","type":"shutdown"}', 'bad_version');
  });
});
