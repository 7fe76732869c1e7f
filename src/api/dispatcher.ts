// The one door into the server API: (method name, payload) → result or error.
// The HTTP handlers, the batch method and every consumer call it, so a
// publish behaves the same whichever way it came in.

import type { Node } from '../node/node.js';
import { ApiErrors } from '../protocol/codes.js';
import { GO_JSON_MAX_DEPTH, parseJsonWithRaw, parseJsonWithRawMembers, type JsonPath } from '../protocol/json/raw-json.js';
import { ApiDecodeError, ApiError } from './errors.js';
import { METHODS, mapLimited, publishNow, type ApiResult } from './methods.js';
import { decodePlainPublish, decodePlainPublishBatch } from './publish-shortcut.js';
import { BATCH_KEYS, decodeRequest, isMethodName, type Command, type CommandName, type MethodName, type Requests } from './requests.js';

export interface ApiReply {
  result?: ApiResult;
  error?: { code: number; message: string };
}

/** Payload fields that carry raw JSON, kept byte-for-byte. */
const RAW_KEYS = new Set(['data', 'info', 'params']);

/** Keys match case-insensitively, as Go's decoder matches struct fields. */
const isRawKey = (k: string | number | undefined): boolean => typeof k === 'string' && RAW_KEYS.has(k.toLowerCase());

/** A batch's raw values: `commands[i].<method>.<raw key>`. */
const isRawInBatch = (p: JsonPath): boolean => p.length === 4 && typeof p[0] === 'string' && p[0].toLowerCase() === 'commands' && isRawKey(p[3]);

export function isApiMethod(method: string): method is MethodName {
  return isMethodName(method);
}

const STORED_PAYLOAD_METHODS = new Set(['history', 'presence']);

/**
 * Whether a reply embeds payloads stored earlier (publication data,
 * connection and channel info), which may have arrived as base64 bytes that
 * are not JSON: history and presence, and a batch with one of them in it.
 * Only such replies need checking before they are sent; a batch of publishes
 * (what a busy publisher sends) does not.
 */
export function carriesStoredPayloads(method: string, reply: ApiReply): boolean {
  if (STORED_PAYLOAD_METHODS.has(method)) return true;
  if (method !== 'batch') return false;
  const replies = (reply.result as { replies?: Record<string, unknown>[] } | undefined)?.replies ?? [];
  return replies.some((r) => Object.keys(r).some((k) => STORED_PAYLOAD_METHODS.has(k)));
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
      req = method === 'batch' ? parseJsonWithRaw(payload, isRawInBatch, GO_JSON_MAX_DEPTH) : parseJsonWithRawMembers(payload, isRawKey, GO_JSON_MAX_DEPTH);
    } catch {
      this.node.metrics.apiCommandErrors.inc({ protocol, method, error: 'unmarshal' });
      throw new ApiDecodeError('malformed JSON');
    }
    return this.dispatch(method, req, protocol);
  }

  /**
   * Dispatches an already-parsed request. The whole request is type-checked
   * before anything runs; a wrong type throws ApiDecodeError (HTTP 400). The
   * methods get typed requests and never fail to decode.
   */
  async dispatch(requested: string, req: unknown, protocol = 'http'): Promise<ApiReply> {
    const metrics = this.node.metrics;
    // Callers such as consumers pass method names from their input: never let
    // an unknown one become a metric label value.
    if (!isApiMethod(requested)) {
      metrics.apiCommandErrors.inc({ protocol, method: 'unknown', error: String(ApiErrors.notFound.code) });
      return { error: ApiError.of(ApiErrors.notFound).toJSON() };
    }
    const method = requested;
    let decoded: Requests[MethodName];
    try {
      decoded = (method === 'publish' && decodePlainPublish(req)) || (method === 'batch' && decodePlainPublishBatch(req)) || decodeRequest(method, req);
    } catch (err) {
      metrics.apiCommandErrors.inc({ protocol, method, error: 'unmarshal' });
      throw err;
    }
    const started = performance.now();
    try {
      const result = method === 'batch' ? await this.batch(decoded as Requests['batch'], protocol) : await this.call(method, decoded as Requests[CommandName]);
      return { result };
    } catch (err) {
      return this.failed(err, method, protocol);
    } finally {
      metrics.apiDurationFor(protocol, method).observe((performance.now() - started) / 1000);
    }
  }

  /**
   * dispatch() done at once, for what needs no I/O: a plain publish (see
   * publish-shortcut.ts) on a node whose broker publishes at once (memory).
   * Undefined for everything else, which takes dispatch(). Same reply, errors
   * and metrics as dispatch(); consumers call it for every row or record.
   */
  dispatchNow(method: string, req: unknown, protocol = 'http'): ApiReply | undefined {
    if (method !== 'publish' || !this.node.publishesNow) return undefined;
    const decoded = decodePlainPublish(req);
    if (decoded === undefined) return undefined;
    const started = performance.now();
    try {
      return { result: publishNow(this.node, decoded) };
    } catch (err) {
      return this.failed(err, method, protocol);
    } finally {
      this.node.metrics.apiDurationFor(protocol, method).observe((performance.now() - started) / 1000);
    }
  }

  /** A method that threw: its error reply, counted. */
  private failed(err: unknown, method: MethodName, protocol: string): ApiReply {
    const apiErr = err instanceof ApiError ? err : this.internal(err, method);
    this.node.metrics.apiCommandErrors.inc({ protocol, method, error: String(apiErr.code) });
    return { error: apiErr.toJSON() };
  }

  private internal(err: unknown, method: string): ApiError {
    this.node.log.error({ err, method }, 'api method failed');
    return ApiError.of(ApiErrors.internal);
  }

  /** `req` is the decoded request of `method` (TypeScript cannot tie the two together through a variable). */
  private call<M extends CommandName>(method: M, req: Requests[M]): Promise<ApiResult> {
    return (METHODS[method] as (node: Node, req: Requests[M]) => Promise<ApiResult>)(this.node, req);
  }

  /** Every command is already decoded: a checked object or null. */
  private async batch(req: Requests['batch'], protocol: string): Promise<ApiResult> {
    const commands = req.commands ?? [];
    const parallel = req.parallel;
    const metrics = this.node.metrics;
    const runOne = async (cmd: Command | null): Promise<Record<string, unknown>> => {
      if (cmd === null) return { error: ApiErrors.badRequest };
      const key = BATCH_KEYS.find((k) => cmd[k] !== undefined);
      if (!key) {
        metrics.apiCommandErrors.inc({ protocol, method: 'unknown', error: String(ApiErrors.notFound.code) });
        return { error: ApiErrors.notFound };
      }
      const started = performance.now();
      try {
        return { [key]: await this.call(key, cmd[key]!) };
      } catch (err) {
        const apiErr = err instanceof ApiError ? err : this.internal(err, key);
        metrics.apiCommandErrors.inc({ protocol, method: key, error: String(apiErr.code) });
        return { error: apiErr.toJSON() };
      } finally {
        metrics.apiDurationFor(protocol, key).observe((performance.now() - started) / 1000);
      }
    };
    const replies = parallel
      ? await mapLimited(commands, 1024, runOne)
      : await (async () => {
          const out: Record<string, unknown>[] = [];
          for (const cmd of commands) out.push(await runOne(cmd));
          return out;
        })();
    // Go omits an empty list: a batch of no commands answers `{}`.
    return replies.length > 0 ? { replies } : {};
  }
}
