// What a session may rely on in a decoded client command, whichever codec
// decoded it: the types of the fields it reads. A decoder that lets a wrong
// type through has moved the crash into a handler; the fuzzer reports it as a
// WrongResult where it happens.

import type { Command } from '../../../src/protocol/commands.js';
import { check } from '../target.js';

type FieldType = 'string' | 'bool' | 'uint' | 'int' | 'bytes' | 'strmap' | 'object';

const SUBSCRIBE: Record<string, FieldType> = {
  channel: 'string',
  token: 'string',
  recover: 'bool',
  epoch: 'string',
  offset: 'uint',
  data: 'bytes',
  positioned: 'bool',
  recoverable: 'bool',
  join_leave: 'bool',
  delta: 'string',
  flag: 'int',
  type: 'int',
};

const FIELDS: Record<Exclude<Command['kind'], 'pong'>, Record<string, FieldType>> = {
  connect: { token: 'string', data: 'bytes', subs: 'object', name: 'string', version: 'string', headers: 'strmap' },
  subscribe: SUBSCRIBE,
  unsubscribe: { channel: 'string' },
  publish: { channel: 'string', data: 'bytes' },
  presence: { channel: 'string' },
  presence_stats: { channel: 'string' },
  history: { channel: 'string', limit: 'int', since: 'object', reverse: 'bool' },
  ping: {},
  send: { data: 'bytes' },
  rpc: { method: 'string', data: 'bytes' },
  refresh: { token: 'string' },
  sub_refresh: { channel: 'string', token: 'string' },
};

function isType(v: unknown, t: FieldType): boolean {
  switch (t) {
    case 'string':
      return typeof v === 'string';
    case 'bool':
      return typeof v === 'boolean';
    case 'uint':
      return Number.isSafeInteger(v) && (v as number) >= 0;
    case 'int':
      return Number.isSafeInteger(v);
    case 'bytes':
      return Buffer.isBuffer(v);
    case 'strmap':
      return typeof v === 'object' && v !== null && Object.values(v).every((x) => typeof x === 'string');
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);
  }
}

function checkFields(req: Record<string, unknown>, fields: Record<string, FieldType>, what: string): void {
  for (const [name, type] of Object.entries(fields)) {
    const v = req[name];
    if (v !== undefined) check(isType(v, type), `${what}.${name} is ${typeof v}, not ${type}`);
  }
}

export function checkCommand(cmd: Command): void {
  check(Number.isInteger(cmd.id) && cmd.id >= 0 && cmd.id <= 0xffffffff, `bad id ${cmd.id}`);
  if (cmd.kind === 'pong') return;
  const req = cmd.req as Record<string, unknown>;
  check(typeof req === 'object' && req !== null, `${cmd.kind} request is not an object`);
  checkFields(req, FIELDS[cmd.kind], cmd.kind);
  if (cmd.kind === 'connect' && cmd.req.subs) {
    for (const [ch, sub] of Object.entries(cmd.req.subs)) {
      checkFields(sub as unknown as Record<string, unknown>, SUBSCRIBE, `connect.subs[${JSON.stringify(ch)}]`);
      check(sub.channel === ch, 'connect.subs entry does not carry its channel');
    }
  }
  if (cmd.kind === 'history' && cmd.req.since) {
    // Inside `since` a JSON null is kept: the history handler reads it as the zero value (?? 0, ?? '').
    const since = Object.fromEntries(Object.entries(cmd.req.since).filter(([, v]) => v !== null));
    checkFields(since, { offset: 'uint', epoch: 'string' }, 'history.since');
  }
}
