// The legacy `/api` route: one or more `{"id", "method", "params"}` objects,
// concatenated or newline-separated; replies one JSON object per line.

import { RawJson, parseJsonWithRaw, stringifyWithRaw } from '../protocol/raw-json.js';
import { ApiErrors } from '../protocol/codes.js';
import { ApiDecodeError } from './errors.js';
import type { Dispatcher } from './dispatcher.js';

/** Centrifugo's numeric method ids (api.proto MethodType). */
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

/** Splits concatenated JSON objects by tracking brace depth outside strings. */
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
    if (c === '"') inString = true;
    else if (c === '{') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === '}') {
      depth--;
      if (depth === 0 && start >= 0) {
        out.push(text.slice(start, i + 1));
        start = -1;
      }
      if (depth < 0) throw new ApiDecodeError('unbalanced JSON');
    } else if (depth === 0 && !/\s/.test(c!)) {
      throw new ApiDecodeError('garbage between commands');
    }
  }
  if (depth !== 0) throw new ApiDecodeError('truncated JSON');
  return out;
}

const isRawParam = (p: readonly (string | number)[]): boolean =>
  p.length === 2 && p[0] === 'params' && (p[1] === 'data' || p[1] === 'info');

export async function handleLegacy(dispatcher: Dispatcher, body: string): Promise<string> {
  const parts = splitJsonObjects(body);
  if (parts.length === 0) throw new ApiDecodeError('no commands');
  const lines: string[] = [];
  for (const part of parts) {
    let cmd: Record<string, unknown>;
    try {
      cmd = parseJsonWithRaw(part, isRawParam) as Record<string, unknown>;
    } catch {
      throw new ApiDecodeError('malformed JSON');
    }
    const id = typeof cmd.id === 'number' && cmd.id > 0 ? cmd.id : undefined;
    const method =
      typeof cmd.method === 'number' ? METHOD_BY_NUMBER[cmd.method] : typeof cmd.method === 'string' ? cmd.method.toLowerCase() : undefined;
    let reply: Record<string, unknown>;
    if (!method || method === 'batch') reply = { error: ApiErrors.notFound };
    else if (cmd.params === undefined || cmd.params === null || cmd.params instanceof RawJson) reply = { error: ApiErrors.badRequest };
    else {
      try {
        reply = { ...(await dispatcher.dispatch(method, cmd.params, 'http')) };
      } catch (err) {
        if (!(err instanceof ApiDecodeError)) throw err;
        reply = { error: ApiErrors.badRequest };
      }
    }
    lines.push(stringifyWithRaw({ id, ...reply }));
  }
  return lines.join('\n');
}
