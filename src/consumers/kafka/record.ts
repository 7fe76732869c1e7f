// What a Kafka record asks for, decided from its headers and value alone:
//  - a method header (`centrifugo-method`): the value is that method's request;
//  - publication data mode: the value is the publication's data, the rest comes
//    from headers (channels, idempotency key, delta, version, tags);
//  - otherwise a `{method, payload}` envelope, where Debezium's JSON output is
//    accepted as it comes: the JsonConverter's `{schema, payload}` wrapper, the
//    change envelope (`before`/`after`/`op`/`source`), the flattened row image of
//    an outbox table (`method`, `payload` as a JSON string or object, `partition`),
//    and the outbox event router's value (the payload column, maybe as a string).
// Deletes, tombstones and (unless asked for) snapshot reads are skipped.

import type { KafkaConsumerOptions } from '../../config/consumers.js';
import { isJsonObject, parseJsonWithRaw, RawJson, type JsonPath } from '../../protocol/json/raw-json.js';
import { member } from '../command.js';

export type RecordHeaders = Record<string, Buffer | string | Array<Buffer | string> | undefined>;

export interface KafkaRecord {
  value: Buffer | null;
  headers?: RecordHeaders;
}

export type RecordAction =
  /** Dispatch `method` ('' = an envelope in `text`) with `text` as the request. */
  | { kind: 'command'; method: string; text: string }
  /** Nothing to do, by design (tombstone, delete, snapshot read, no channels). */
  | { kind: 'skip'; reason: string }
  /** Can never succeed: log it and dead-letter it. */
  | { kind: 'invalid'; reason: string };

/** The first header of that exact name, as text (undefined when absent). */
export function header(headers: RecordHeaders | undefined, name: string): string | undefined {
  const v = headers?.[name];
  const first = Array.isArray(v) ? v[0] : v;
  if (first === undefined) return undefined;
  return typeof first === 'string' ? first : first.toString('utf8');
}

const GO_TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const GO_FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

function publicationRequest(record: KafkaRecord, o: KafkaConsumerOptions): RecordAction {
  const pdm = o.publication_data_mode;
  const channelsText = header(record.headers, pdm.channels_header) ?? '';
  // Split on commas without trimming, as Centrifugo does.
  if (channelsText === '') return { kind: 'skip', reason: 'no channels found' };
  const channels = channelsText.split(',');
  const req: Record<string, unknown> = {};
  if (channels.length === 1) req.channel = channels[0];
  else req.channels = channels;
  // Published verbatim: base64 keeps any bytes exact through the JSON request.
  req.b64data = (record.value ?? Buffer.alloc(0)).toString('base64');
  const key = header(record.headers, pdm.idempotency_key_header);
  if (key) req.idempotency_key = key;
  const delta = header(record.headers, pdm.delta_header);
  if (delta !== undefined && delta !== '') {
    if (GO_TRUE.has(delta)) req.delta = true;
    else if (!GO_FALSE.has(delta)) return { kind: 'invalid', reason: `bad ${pdm.delta_header} header ${JSON.stringify(delta)}: not a boolean` };
  }
  const version = header(record.headers, pdm.version_header);
  if (version !== undefined && version !== '') {
    if (!/^\d+$/.test(version) || !Number.isSafeInteger(Number(version))) {
      return { kind: 'invalid', reason: `bad ${pdm.version_header} header ${JSON.stringify(version)}: not an unsigned integer` };
    }
    req.version = Number(version);
  }
  const epoch = header(record.headers, pdm.version_epoch_header);
  if (epoch) req.version_epoch = epoch;
  const tags: Record<string, string> = {};
  for (const name of Object.keys(record.headers ?? {})) {
    if (name.startsWith(pdm.tags_header_prefix) && name.length > pdm.tags_header_prefix.length) {
      tags[name.slice(pdm.tags_header_prefix.length)] = header(record.headers, name) ?? '';
    }
  }
  if (Object.keys(tags).length > 0) req.tags = tags;
  return { kind: 'command', method: channels.length === 1 ? 'publish' : 'broadcast', text: JSON.stringify(req) };
}

// Every `payload` member stays raw: wrapper payloads are parsed again, the
// request's payload is handed on byte for byte.
const rawPayload = (p: JsonPath): boolean => {
  const last = p[p.length - 1];
  return typeof last === 'string' && last.toLowerCase() === 'payload';
};

/** The JSON text of a raw member: a JSON string's content, or the member's own text. */
function rawText(v: RawJson): string | undefined {
  if (!v.text.startsWith('"')) return v.text;
  try {
    return JSON.parse(v.text) as string;
  } catch {
    return undefined;
  }
}

/** Wrappers peeled at most: schema wrapper, change envelope, string-encoded value, and a spare. */
const MAX_LAYERS = 5;

function envelopeAction(text: string, o: KafkaConsumerOptions): RecordAction {
  let value: unknown;
  for (let layer = 0; layer < MAX_LAYERS; layer++) {
    try {
      value = parseJsonWithRaw(text, rawPayload);
    } catch {
      return { kind: 'invalid', reason: 'value is not valid JSON' };
    }
    // The outbox event router writes a jsonb payload column as a JSON string.
    if (typeof value === 'string') {
      text = value;
      continue;
    }
    let next: RawJson | undefined;
    while (isJsonObject(value) && next === undefined) {
      const v: Record<string, unknown> = value;
      // JsonConverter with schemas: {"schema": {...}, "payload": <the value>}.
      if (isJsonObject(v.schema) && v.payload instanceof RawJson && !('method' in v)) {
        next = v.payload;
        break;
      }
      // Debezium's change envelope.
      if (typeof v.op === 'string' && ('after' in v || 'before' in v)) {
        if (v.op === 'r' && !o.debezium_snapshot_reads) return { kind: 'skip', reason: 'debezium snapshot read' };
        if (v.op === 'd') return { kind: 'skip', reason: 'debezium delete' };
        if (v.op !== 'c' && v.op !== 'u' && v.op !== 'r') return { kind: 'skip', reason: 'debezium other op' };
        if (v.after === null || v.after === undefined) return { kind: 'skip', reason: 'debezium change without a row image' };
        value = v.after;
        continue;
      }
      // The flattened row image (new-record-state extraction) marks deletes.
      if (v.__deleted === true || v.__deleted === 'true' || v.__op === 'd') return { kind: 'skip', reason: 'debezium delete' };
      if (v.__op === 'r' && !o.debezium_snapshot_reads) return { kind: 'skip', reason: 'debezium snapshot read' };
      // Keys fold case as Go's decoder (and Centrifugo) read them.
      const method = member(v, 'method');
      if (typeof method !== 'string') return { kind: 'invalid', reason: 'no "method" in the message (expected {"method": ..., "payload": ...})' };
      const payload = member(v, 'payload');
      if (payload === undefined || payload === null) return { kind: 'invalid', reason: 'no "payload" in the message' };
      const request = payload instanceof RawJson ? rawText(payload) : undefined;
      if (request === undefined || !request.trimStart().startsWith('{')) {
        return { kind: 'invalid', reason: '"payload" must be a JSON object or a JSON string holding one' };
      }
      return { kind: 'command', method, text: request };
    }
    if (next !== undefined) {
      const inner = rawText(next);
      if (inner === undefined) return { kind: 'invalid', reason: 'bad "payload" string' };
      text = inner;
      continue;
    }
    if (value === null) return { kind: 'skip', reason: 'null value' };
    return { kind: 'invalid', reason: 'value must be a JSON object' };
  }
  return { kind: 'invalid', reason: 'value nested too deeply' };
}

export function recordAction(record: KafkaRecord, o: KafkaConsumerOptions): RecordAction {
  if (o.publication_data_mode.enabled) return publicationRequest(record, o);
  if (record.value === null || record.value.length === 0) return { kind: 'skip', reason: 'tombstone (empty value)' };
  const method = header(record.headers, o.method_header);
  if (method) return { kind: 'command', method, text: record.value.toString('utf8') };
  return envelopeAction(record.value.toString('utf8'), o);
}
