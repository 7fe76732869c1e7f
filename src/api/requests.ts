// The request of every server API method Tributary serves, as Centrifugo's
// api.proto has it; the methods get these types (z.output) already checked.
//
// Centrifugo decodes a whole request with Go's encoding/json before running
// it, so a wrong JSON type anywhere (even in the last command of a batch, or
// in a field the method would only look at later) refuses the request with
// HTTP 400 and nothing runs. decodeRequest does the same up front.

import { z } from 'zod';
import { decode } from './decode.js';
import { bool, int32, int64, list, raw, str, strMap, strs, struct, uint32, uint64 } from './fields.js';
import { OVERRIDE_KEYS } from '../protocol/types.js';

/** A stream position (history `since`, subscribe `recover_since`). */
const position = () => struct({ offset: uint64(), epoch: str() });
const boolValue = () => struct({ value: bool() });

/** PRO label filter: parsed (so its types are checked) and ignored. */
const filterNode: z.ZodType = struct({
  op: str(),
  key: str(),
  cmp: str(),
  val: str(),
  vals: strs(),
  nodes: list(z.lazy(() => filterNode)),
});

const publishFields = () => ({
  data: raw(),
  b64data: str(),
  skip_history: bool(),
  tags: strMap(),
  idempotency_key: str(),
  delta: bool(),
  version: uint64(),
  version_epoch: str(),
});
const targetFields = () => ({
  user: str(),
  client: str(),
  session: str(),
  label_filter: filterNode,
  all_users: bool(),
});

const publish = struct({ channel: str(), ...publishFields() });
const broadcast = struct({ channels: strs(), ...publishFields() });
const subscribe = struct({
  channel: str(),
  ...targetFields(),
  expire_at: int64(),
  info: raw(),
  b64info: str(),
  data: raw(),
  b64data: str(),
  recover_since: position(),
  override: struct(Object.fromEntries(OVERRIDE_KEYS.map((k) => [k, boolValue()])) as Record<(typeof OVERRIDE_KEYS)[number], ReturnType<typeof boolValue>>),
});
const unsubscribe = struct({ channel: str(), ...targetFields() });
const disconnect = struct({
  ...targetFields(),
  disconnect: struct({ code: uint32(), reason: str() }),
  whitelist: strs(),
});
const refresh = struct({ ...targetFields(), expired: bool(), expire_at: int64(), info: raw() });
const channelOnly = () => struct({ channel: str() });
const history = struct({ channel: str(), limit: int32(), since: position(), reverse: bool() });
const channels = struct({ pattern: str() });
const info = struct({});
const rpc = struct({ method: str(), params: raw() });

/** The methods a batch can carry, in the order Centrifugo picks the first that is set. */
const COMMANDS = {
  publish,
  broadcast,
  subscribe,
  unsubscribe,
  disconnect,
  history,
  history_remove: channelOnly(),
  presence: channelOnly(),
  presence_stats: channelOnly(),
  info,
  rpc,
  refresh,
  channels,
};
export type CommandName = keyof typeof COMMANDS;
export const BATCH_KEYS = Object.keys(COMMANDS) as CommandName[];

const command = struct(COMMANDS);
const batch = struct({ commands: list(command), parallel: bool() });

export const REQUESTS = { ...COMMANDS, batch };
export type MethodName = keyof typeof REQUESTS;
export type Requests = { [M in MethodName]: z.output<(typeof REQUESTS)[M]> };
export type Command = z.output<typeof command>;

export function isMethodName(method: string): method is MethodName {
  return Object.hasOwn(REQUESTS, method);
}

/** Decodes a whole request of `method` as Centrifugo would before running it; `null` is an empty request. */
export function decodeRequest<M extends MethodName>(method: M, req: unknown): Requests[M] {
  return decode(REQUESTS[method], req ?? {}) as Requests[M];
}
