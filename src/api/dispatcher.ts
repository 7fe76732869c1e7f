// The one door into the server API: (method name, payload) → result or error.
// The HTTP handlers, the batch method and every consumer call it, so a
// publish behaves the same whichever way it came in.

import type { Node } from '../node/node.js';
import { ApiErrors } from '../protocol/codes.js';
import { parseJsonWithRaw, type JsonPath } from '../protocol/raw-json.js';
import { ApiDecodeError, ApiError } from './errors.js';
import { asFields } from './fields.js';
import { METHODS, mapLimited, type ApiResult } from './methods.js';

export interface ApiReply {
  result?: ApiResult;
  error?: { code: number; message: string };
}

/** Payload fields that carry raw JSON, kept byte-for-byte. */
const RAW_KEYS = new Set(['data', 'info', 'params']);

/** Batch command keys in the order Centrifugo picks the first that is set. */
export const BATCH_KEYS = [
  'publish',
  'broadcast',
  'subscribe',
  'unsubscribe',
  'disconnect',
  'history',
  'history_remove',
  'presence',
  'presence_stats',
  'info',
  'rpc',
  'refresh',
  'channels',
] as const;

function rawPredicate(method: string): (path: JsonPath) => boolean {
  if (method === 'batch') {
    return (p) => p.length === 4 && p[0] === 'commands' && RAW_KEYS.has(p[3] as string);
  }
  return (p) => p.length === 1 && RAW_KEYS.has(p[0] as string);
}

export function isApiMethod(method: string): boolean {
  return method === 'batch' || Object.hasOwn(METHODS, method);
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
      throw new ApiDecodeError('malformed JSON');
    }
    return this.dispatch(method, req, protocol);
  }

  /** Dispatches an already-decoded request. Throws ApiDecodeError on wrong field types. */
  async dispatch(method: string, req: unknown, protocol = 'http'): Promise<ApiReply> {
    const metrics = this.node.metrics;
    const started = process.hrtime.bigint();
    try {
      const fields = asFields(req);
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
      metrics.apiCommandDuration.observe({ protocol, method }, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  private internal(err: unknown, method: string): ApiError {
    this.node.log.error({ err, method }, 'api method failed');
    return ApiError.of(ApiErrors.internal);
  }

  private call(method: string, fields: Record<string, unknown>): Promise<ApiResult> {
    const fn = Object.hasOwn(METHODS, method) ? METHODS[method] : undefined;
    if (!fn) throw ApiError.of(ApiErrors.notFound);
    return fn(this.node, fields);
  }

  private async batch(fields: Record<string, unknown>, _protocol: string): Promise<ApiResult> {
    const commands = fields.commands ?? [];
    if (!Array.isArray(commands)) throw new ApiDecodeError('commands must be a list');
    const parallel = fields.parallel === true;
    const runOne = async (cmd: unknown): Promise<Record<string, unknown>> => {
      if (cmd === null) return { error: ApiErrors.badRequest };
      const cf = asFields(cmd, 'command');
      const key = BATCH_KEYS.find((k) => cf[k] !== undefined && cf[k] !== null);
      if (!key) return { error: ApiErrors.notFound };
      try {
        return { [key]: await this.call(key, asFields(cf[key], key)) };
      } catch (err) {
        if (err instanceof ApiDecodeError) return { error: ApiErrors.badRequest };
        const apiErr = err instanceof ApiError ? err : this.internal(err, key);
        return { error: apiErr.toJSON() };
      }
    };
    const replies = parallel
      ? await mapLimited(commands as unknown[], 1024, runOne)
      : await (async () => {
          const out: Record<string, unknown>[] = [];
          for (const cmd of commands as unknown[]) out.push(await runOne(cmd));
          return out;
        })();
    return { replies };
  }
}
