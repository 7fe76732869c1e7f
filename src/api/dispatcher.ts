// The one door into the server API: (method name, payload) → result or error.
// The HTTP handlers, the batch method and every consumer call it, so a
// publish behaves the same whichever way it came in.

import type { Node } from '../node/node.js';
import { ApiErrors } from '../protocol/codes.js';
import { parseJsonWithRaw, type JsonPath } from '../protocol/json/raw-json.js';
import { ApiDecodeError, ApiError } from './errors.js';
import { BATCH_KEYS, asFields, decodeRequest, type Fields } from './fields.js';
import { METHODS, mapLimited, type ApiResult } from './methods.js';

export { BATCH_KEYS };

export interface ApiReply {
  result?: ApiResult;
  error?: { code: number; message: string };
}

/** Payload fields that carry raw JSON, kept byte-for-byte. */
const RAW_KEYS = new Set(['data', 'info', 'params']);

/** Keys match case-insensitively, as Go's decoder matches struct fields. */
const isRawKey = (k: string | number | undefined): boolean => typeof k === 'string' && RAW_KEYS.has(k.toLowerCase());

function rawPredicate(method: string): (path: JsonPath) => boolean {
  if (method === 'batch') {
    return (p) => p.length === 4 && typeof p[0] === 'string' && p[0].toLowerCase() === 'commands' && isRawKey(p[3]);
  }
  return (p) => p.length === 1 && isRawKey(p[0]);
}

export function isApiMethod(method: string): boolean {
  return method === 'batch' || Object.hasOwn(METHODS, method);
}

/**
 * Methods whose replies embed payloads stored earlier (publication data,
 * connection and channel info), which may have arrived as base64 bytes that
 * are not JSON. Only their replies need checking before they are sent.
 */
export function carriesStoredPayloads(method: string): boolean {
  return method === 'history' || method === 'presence' || method === 'batch';
}

export function isValidJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

export class Dispatcher {
  constructor(private readonly node: Node) {}

  /**
   * Parses a JSON payload (raw fields kept verbatim) and dispatches it.
   * Throws ApiDecodeError when the payload is not valid JSON or has wrong types.
   */
  dispatchJson(method: string, payload: string, protocol = 'http'): Promise<ApiReply> {
    let req: unknown;
    try {
      req = parseJsonWithRaw(payload, rawPredicate(method));
    } catch {
      this.node.metrics.apiCommandErrors.inc({ protocol, method, error: 'unmarshal' });
      throw new ApiDecodeError('malformed JSON');
    }
    return this.dispatch(method, req, protocol);
  }

  /**
   * Dispatches an already-parsed request. The whole request is type-checked
   * before anything runs; a wrong type throws ApiDecodeError (HTTP 400).
   */
  async dispatch(requested: string, req: unknown, protocol = 'http'): Promise<ApiReply> {
    const metrics = this.node.metrics;
    // Callers such as consumers pass method names from their input: never let
    // an unknown one become a metric label value.
    const method = isApiMethod(requested) ? requested : 'unknown';
    if (method === 'unknown') {
      metrics.apiCommandErrors.inc({ protocol, method, error: String(ApiErrors.notFound.code) });
      return { error: ApiError.of(ApiErrors.notFound).toJSON() };
    }
    let fields: Fields;
    try {
      fields = decodeRequest(method, req);
    } catch (err) {
      metrics.apiCommandErrors.inc({ protocol, method, error: 'unmarshal' });
      throw err;
    }
    const started = process.hrtime.bigint();
    try {
      const result = method === 'batch' ? await this.batch(fields, protocol) : await this.call(method, fields);
      return { result };
    } catch (err) {
      if (err instanceof ApiDecodeError) {
        metrics.apiCommandErrors.inc({ protocol, method, error: 'unmarshal' });
        throw err;
      }
      const apiErr = err instanceof ApiError ? err : this.internal(err, method);
      metrics.apiCommandErrors.inc({ protocol, method, error: String(apiErr.code) });
      return { error: apiErr.toJSON() };
    } finally {
      metrics.apiDurationFor(protocol, method).observe(Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  private internal(err: unknown, method: string): ApiError {
    this.node.log.error({ err, method }, 'api method failed');
    return ApiError.of(ApiErrors.internal);
  }

  private call(method: string, fields: Fields): Promise<ApiResult> {
    const fn = Object.hasOwn(METHODS, method) ? METHODS[method] : undefined;
    if (!fn) throw ApiError.of(ApiErrors.notFound);
    return fn(this.node, fields);
  }

  /** `fields` is already decoded: every command is a checked object or null. */
  private async batch(fields: Fields, protocol: string): Promise<ApiResult> {
    const commands = (fields.commands ?? []) as unknown[];
    const parallel = fields.parallel === true;
    const metrics = this.node.metrics;
    const runOne = async (cmd: unknown): Promise<Record<string, unknown>> => {
      if (cmd === null || cmd === undefined) return { error: ApiErrors.badRequest };
      const cf = asFields(cmd, 'command');
      const key = BATCH_KEYS.find((k) => cf[k] !== undefined && cf[k] !== null);
      if (!key) {
        metrics.apiCommandErrors.inc({ protocol, method: 'unknown', error: String(ApiErrors.notFound.code) });
        return { error: ApiErrors.notFound };
      }
      const started = process.hrtime.bigint();
      try {
        return { [key]: await this.call(key, asFields(cf[key], key)) };
      } catch (err) {
        const apiErr =
          err instanceof ApiError ? err : err instanceof ApiDecodeError ? ApiError.of(ApiErrors.badRequest) : this.internal(err, key);
        metrics.apiCommandErrors.inc({ protocol, method: key, error: String(apiErr.code) });
        return { error: apiErr.toJSON() };
      } finally {
        metrics.apiDurationFor(protocol, key).observe(Number(process.hrtime.bigint() - started) / 1e9);
      }
    };
    const replies = parallel
      ? await mapLimited(commands, 1024, runOne)
      : await (async () => {
          const out: Record<string, unknown>[] = [];
          for (const cmd of commands) out.push(await runOne(cmd));
          return out;
        })();
    return { replies };
  }
}
