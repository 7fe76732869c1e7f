// The legacy `/api` route: one or more `{"id", "method", "params"}` objects,
// concatenated or newline-separated; replies one JSON object per line.
// Decoding follows Centrifugo's handler_legacy.go: keys match
// case-insensitively, a missing `method` is 0 (publish), a method name is
// looked up uppercased and anything else must be an integer (or the whole
// request is refused with 400), a known number without a handler is 104,
// and `params` is required (107 when missing) except for `info`.

import { GO_JSON_MAX_DEPTH, parseJsonWithRaw, stringifyWithRaw } from '../protocol/json/raw-json.js';
import { ApiErrors } from '../protocol/codes.js';
import { ApiDecodeError } from './errors.js';
import { carriesStoredPayloads, isApiMethod, type Dispatcher } from './dispatcher.js';
import { isJson } from '../util/values.js';

/** Centrifugo's method numbers (api.proto Command.MethodType), PRO ones included. */
const METHOD_NUMBERS: Record<string, number> = {
  PUBLISH: 0,
  BROADCAST: 1,
  UNSUBSCRIBE: 2,
  DISCONNECT: 3,
  PRESENCE: 4,
  PRESENCE_STATS: 5,
  HISTORY: 6,
  HISTORY_REMOVE: 7,
  CHANNELS: 8,
  INFO: 9,
  RPC: 10,
  SUBSCRIBE: 11,
  REFRESH: 12,
  CONNECTIONS: 14,
  UPDATE_USER_STATUS: 15,
  GET_USER_STATUS: 16,
  DELETE_USER_STATUS: 17,
  BLOCK_USER: 18,
  UNBLOCK_USER: 19,
  REVOKE_TOKEN: 20,
  INVALIDATE_USER_TOKENS: 21,
  DEVICE_REGISTER: 22,
  DEVICE_UPDATE: 23,
  DEVICE_REMOVE: 24,
  DEVICE_LIST: 25,
  DEVICE_TOPIC_LIST: 26,
  DEVICE_TOPIC_UPDATE: 27,
  USER_TOPIC_LIST: 28,
  USER_TOPIC_UPDATE: 29,
  SEND_PUSH_NOTIFICATION: 30,
  UPDATE_PUSH_STATUS: 31,
  CANCEL_PUSH: 32,
  MAP_PUBLISH: 33,
  MAP_REMOVE: 34,
  MAP_READ_STATE: 35,
  MAP_READ_STREAM: 36,
  MAP_STATS: 37,
  MAP_CLEAR: 38,
  SHARED_POLL_PUBLISH: 39,
};

/** The methods this server implements, by number. Other numbers reply 104. */
const METHOD_BY_NUMBER: Record<number, string> = {
  0: 'publish',
  1: 'broadcast',
  2: 'unsubscribe',
  3: 'disconnect',
  4: 'presence',
  5: 'presence_stats',
  6: 'history',
  7: 'history_remove',
  8: 'channels',
  9: 'info',
  10: 'rpc',
  11: 'subscribe',
  12: 'refresh',
};

/**
 * Splits concatenated JSON objects by tracking brace depth outside strings.
 * Whitespace between objects is allowed; anything else is an ApiDecodeError.
 * Only the framing is checked here: each piece still has to parse.
 */
export function splitJsonObjects(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      if (depth === 0) throw new ApiDecodeError('garbage between commands');
      inString = true;
    } else if (c === '{') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === '}') {
      depth--;
      if (depth < 0) throw new ApiDecodeError('unbalanced JSON');
      if (depth === 0) {
        out.push(text.slice(start, i + 1));
        start = -1;
      }
    } else if (depth === 0 && c !== ' ' && c !== '\n' && c !== '\r' && c !== '\t') {
      throw new ApiDecodeError('garbage between commands');
    }
  }
  if (depth !== 0 || inString) throw new ApiDecodeError('truncated JSON');
  return out;
}

const isRawParam = (p: readonly (string | number)[]): boolean =>
  p.length === 2 &&
  typeof p[0] === 'string' &&
  p[0].toLowerCase() === 'params' &&
  typeof p[1] === 'string' &&
  ['data', 'info', 'params'].includes(p[1].toLowerCase());

/** The value of the last key that folds to `name`, skipping nulls (Go leaves the field as it was). */
function field(cmd: Record<string, unknown>, name: string): unknown {
  let out: unknown = undefined;
  for (const [k, v] of Object.entries(cmd)) {
    if (v !== null && (k === name || k.toLowerCase() === name)) out = v;
  }
  return out;
}

/** The legacy command id: an optional uint32. */
function commandId(cmd: Record<string, unknown>): number {
  let id: unknown = undefined;
  for (const [k, v] of Object.entries(cmd)) if (k.toLowerCase() === 'id') id = v === null ? id : v;
  if (id === undefined) return 0;
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > 0xffffffff) throw new ApiDecodeError('id must be an uint32');
  return id;
}

/**
 * The method number: a name (any case) or an integer; missing is 0. A JSON
 * null, an unknown name or any other type is undecodable (400), as in Go.
 */
function methodNumber(cmd: Record<string, unknown>): number {
  let present = false;
  let m: unknown = undefined;
  for (const [k, v] of Object.entries(cmd)) {
    if (k.toLowerCase() === 'method') {
      present = true;
      m = v;
    }
  }
  if (!present) return 0;
  if (typeof m === 'string') {
    const n = Object.hasOwn(METHOD_NUMBERS, m.toUpperCase()) ? METHOD_NUMBERS[m.toUpperCase()] : undefined;
    if (n === undefined) throw new ApiDecodeError(`unknown method ${JSON.stringify(m)}`);
    return n;
  }
  if (typeof m === 'number' && Number.isSafeInteger(m)) return m;
  throw new ApiDecodeError('method must be a name or a number');
}

export async function handleLegacy(dispatcher: Dispatcher, body: string): Promise<string> {
  const parts = splitJsonObjects(body);
  const lines: string[] = [];
  for (const part of parts) {
    let cmd: Record<string, unknown>;
    try {
      cmd = parseJsonWithRaw(part, isRawParam, GO_JSON_MAX_DEPTH) as Record<string, unknown>;
    } catch {
      throw new ApiDecodeError('malformed JSON');
    }
    const id = commandId(cmd);
    const number = methodNumber(cmd);
    const method = Object.hasOwn(METHOD_BY_NUMBER, number) ? METHOD_BY_NUMBER[number] : undefined;
    const params = field(cmd, 'params');
    // A present `"params": null` is a request with every field zero.
    const hasParams = params !== undefined || Object.keys(cmd).some((k) => k.toLowerCase() === 'params');
    let reply: Record<string, unknown>;
    if (!method || !isApiMethod(method)) reply = { error: ApiErrors.notFound };
    else if (method === 'info') reply = { ...(await dispatcher.dispatch('info', {}, 'http')) };
    else if (!hasParams) reply = { error: ApiErrors.badRequest };
    else {
      try {
        reply = { ...(await dispatcher.dispatch(method, params ?? null, 'http')) };
      } catch (err) {
        if (!(err instanceof ApiDecodeError)) throw err;
        reply = { error: ApiErrors.badRequest };
      }
    }
    const line = stringifyWithRaw({ id: id === 0 ? undefined : id, ...reply });
    // A stored payload that is not JSON cannot be embedded (see http-handler):
    // Go fails the whole request with 500.
    if (carriesStoredPayloads(method ?? '', reply) && !isJson(line)) throw new Error(`${method} reply is not valid JSON`);
    lines.push(line);
  }
  return lines.join('\n');
}
