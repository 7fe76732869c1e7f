// A consumed message → one server API call, with Centrifugo's rules for
// consumers (consumers.md §4): the method comes with the message or from an
// envelope `{"method": ..., "payload": ...}`; only the mutating methods are
// served; internal errors (code 100) are worth retrying, every other failure
// never will succeed. Unlike Centrifugo, which logs and drops a message that can
// never succeed, the outcome says why, so the caller can dead-letter it.
//
// Every consumer (outbox now, Kafka later) goes through here and then through
// the same Dispatcher as the HTTP API.

import type { ApiReply, Dispatcher } from '../api/dispatcher.js';
import { ApiDecodeError, isRetryableApiError } from '../api/errors.js';
import { isJsonObject, parseJsonWithRawMembers, RawJson } from '../protocol/json/raw-json.js';

/** The methods a consumer may call (Centrifugo's generated consumer handlers). */
export const CONSUMER_METHODS = new Set(['publish', 'broadcast', 'subscribe', 'unsubscribe', 'disconnect', 'history_remove', 'refresh']);
const KEYED_METHODS = new Set(['publish', 'broadcast']);

/** Why a message can never succeed. */
export type DeadReason = 'unsupported_method' | 'bad_payload' | 'api_error';

export type CommandOutcome =
  { kind: 'ok'; method: string } | { kind: 'dead'; method: string; reason: DeadReason; error: string } | { kind: 'retry'; method: string; error: string };

// Top-level payload fields kept byte-for-byte, as the HTTP API keeps them.
const RAW_FIELDS = new Set(['data', 'info']);
const isRawField = (key: string): boolean => RAW_FIELDS.has(key.toLowerCase());
const isEnvelopePayload = (key: string): boolean => key.toLowerCase() === 'payload';

/** A member read as Go's decoder does: exact key first, then any case-folded spelling. */
export function member(obj: Record<string, unknown>, key: string): unknown {
  if (Object.hasOwn(obj, key)) return obj[key];
  for (const k of Object.keys(obj)) if (k.toLowerCase() === key) return obj[k];
  return undefined;
}

function hasIdempotencyKey(req: Record<string, unknown>): boolean {
  for (const [k, v] of Object.entries(req)) {
    if (k.toLowerCase() === 'idempotency_key' && typeof v === 'string' && v !== '') return true;
  }
  return false;
}

/** Splits an envelope (`method` empty): the method and the payload text. */
function openEnvelope(text: string): { method: string; payload: string } | string {
  let env: unknown;
  try {
    env = parseJsonWithRawMembers(text, isEnvelopePayload);
  } catch {
    return 'malformed envelope: not valid JSON';
  }
  if (!isJsonObject(env)) return 'malformed envelope: not a JSON object';
  const method = member(env, 'method');
  if (typeof method !== 'string') return 'malformed envelope: "method" must be a string';
  const payload = member(env, 'payload');
  if (payload instanceof RawJson) {
    // A JSON string payload carries the request as its content.
    if (payload.text.startsWith('"')) {
      try {
        return { method, payload: JSON.parse(payload.text) as string };
      } catch {
        return 'malformed envelope: bad "payload" string';
      }
    }
    return { method, payload: payload.text };
  }
  return { method, payload: 'null' };
}

export interface CommandOptions {
  /** Set as `idempotency_key` on publish/broadcast requests that carry none. */
  idempotencyKey?: string;
  /** Called for per-channel broadcast failures that are not retried. */
  onChannelError?: (channel: string | undefined, error: { code: number; message: string }) => void;
}

/** A consumed message read: the method and its request. */
interface ConsumedRequest {
  method: string;
  req: Record<string, unknown>;
}

/** Reads a consumed message (`method` '' for an envelope): its request, or the outcome when it can never succeed. */
function readCommand(method: string, text: string, opts: CommandOptions): ConsumedRequest | CommandOutcome {
  if (method === '') {
    const env = openEnvelope(text);
    if (typeof env === 'string') return { kind: 'dead', method, reason: 'bad_payload', error: env };
    method = env.method;
    text = env.payload;
  }
  if (!CONSUMER_METHODS.has(method)) {
    return { kind: 'dead', method, reason: 'unsupported_method', error: `unsupported method ${JSON.stringify(method)}` };
  }
  let req: unknown;
  try {
    req = parseJsonWithRawMembers(text, isRawField);
  } catch {
    return { kind: 'dead', method, reason: 'bad_payload', error: 'payload is not valid JSON' };
  }
  if (!isJsonObject(req)) return { kind: 'dead', method, reason: 'bad_payload', error: 'payload must be a JSON object' };
  if (opts.idempotencyKey && KEYED_METHODS.has(method) && !hasIdempotencyKey(req)) {
    // Added last, so it also wins over an empty key of any spelling.
    req['idempotency_key'] = opts.idempotencyKey;
  }
  return { method, req };
}

/** The outcome of a reply, by Centrifugo's rules: internal errors retry, other errors are dead. */
function outcomeOf({ method, req }: ConsumedRequest, reply: ApiReply, opts: CommandOptions): CommandOutcome {
  if (reply.error) {
    const error = `${reply.error.code}: ${reply.error.message}`;
    if (isRetryableApiError(reply.error.code)) return { kind: 'retry', method, error };
    return { kind: 'dead', method, reason: 'api_error', error };
  }
  if (method === 'broadcast') {
    // Centrifugo retries the whole broadcast when any channel failed internally
    // (the idempotency key keeps the channels that succeeded from a second copy).
    const responses = (reply.result?.responses ?? []) as { error?: { code: number; message: string } }[];
    const channels = (req['channels'] ?? member(req, 'channels')) as unknown;
    let retry: string | undefined;
    responses.forEach((r, i) => {
      if (!r.error) return;
      if (isRetryableApiError(r.error.code)) retry ??= `${r.error.code}: ${r.error.message}`;
      else opts.onChannelError?.(Array.isArray(channels) ? String(channels[i]) : undefined, r.error);
    });
    if (retry) return { kind: 'retry', method, error: `broadcast: ${retry}` };
  }
  return method === 'publish' ? PUBLISHED : { kind: 'ok', method };
}

const PUBLISHED: CommandOutcome = Object.freeze({ kind: 'ok', method: 'publish' });

async function dispatchLater(dispatcher: Dispatcher, cmd: ConsumedRequest, opts: CommandOptions): Promise<CommandOutcome> {
  let reply;
  try {
    reply = await dispatcher.dispatch(cmd.method, cmd.req, 'consuming');
  } catch (err) {
    if (err instanceof ApiDecodeError) return { kind: 'dead', method: cmd.method, reason: 'bad_payload', error: `bad payload: ${err.message}` };
    return { kind: 'retry', method: cmd.method, error: `dispatch failed: ${(err as Error)?.message ?? String(err)}` };
  }
  return outcomeOf(cmd, reply, opts);
}

/**
 * Dispatches one consumed message. `method` may be '' for an envelope; `text`
 * is the payload's JSON text. The outcome comes at once, without a promise,
 * when the dispatcher can serve the request so (a plain publish on the memory
 * broker: Dispatcher.dispatchNow); a consumer draining a backlog awaits only
 * the others. Never throws or rejects.
 */
export function consumeCommand(dispatcher: Dispatcher, method: string, text: string, opts: CommandOptions = {}): CommandOutcome | Promise<CommandOutcome> {
  const cmd = readCommand(method, text, opts);
  if ('kind' in cmd) return cmd;
  let reply: ApiReply | undefined;
  try {
    reply = dispatcher.dispatchNow(cmd.method, cmd.req, 'consuming');
  } catch (err) {
    // dispatchNow answers every failure of the request as a reply: only a bug of ours gets here.
    return { kind: 'retry', method: cmd.method, error: `dispatch failed: ${(err as Error)?.message ?? String(err)}` };
  }
  return reply === undefined ? dispatchLater(dispatcher, cmd, opts) : outcomeOf(cmd, reply, opts);
}
