// A raw payload field and its base64 twin (`data`/`b64data`, `info`/`b64info`)
// as the bytes a method passes on. Go decodes b64data as a plain string; the
// method checks it, so bad base64 is a bad request (107), not an undecodable
// body (400).

import { ApiErrors } from '../protocol/codes.js';
import { RawJson } from '../protocol/json/raw-json.js';
import { ApiError } from './errors.js';

/** The base64 form wins when non-empty; undefined when neither is set. */
export function payloadBytes(raw: unknown, b64: string): Buffer | undefined {
  if (b64 !== '') {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) throw ApiError.of(ApiErrors.badRequest);
    return Buffer.from(b64, 'base64');
  }
  if (raw === undefined) return undefined;
  if (raw instanceof RawJson) return raw.toBuffer();
  // The GRPC API's bytes fields arrive as bytes, any content.
  if (Buffer.isBuffer(raw)) return raw;
  // Only reachable when a caller passed an already-parsed object (e.g. a consumer).
  return Buffer.from(JSON.stringify(raw), 'utf8');
}
