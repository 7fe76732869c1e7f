// The cost of decoding a server API request (src/api/requests.ts), which every
// HTTP API and consumer publish pays before it runs: a typical publish, and a
// batch of 100 publishes, each already parsed as the dispatcher parses it
// (raw `data` kept as RawJson). Prints ns per decode, also with the JSON
// parse in front for scale.
//
//   node --import tsx bench/api-decode.ts [--iterations 200000]
//
// The machine is shared: compare runs made one right after the other.

import { parseArgs } from 'node:util';
import { decodeRequest } from '../src/api/requests.js';
import { parseJsonWithRaw, type JsonPath } from '../src/protocol/json/raw-json.js';

const { values } = parseArgs({ options: { iterations: { type: 'string', default: '200000' } } });
const iterations = Number(values.iterations);

// The dispatcher's raw paths: `data` at the top, or in a batch command.
const isRaw = (k: string | number | undefined) => k === 'data';
const topRaw = (p: JsonPath) => p.length === 1 && isRaw(p[0]);
const batchRaw = (p: JsonPath) => p.length === 4 && isRaw(p[3]);

const publish = { channel: 'chat:room-42', data: { text: 'hello', user: 'u1', n: 1 }, idempotency_key: 'k-1', tags: { kind: 'msg' } };
const publishText = JSON.stringify(publish);
const batchText = JSON.stringify({ commands: Array.from({ length: 100 }, (_, i) => ({ publish: { ...publish, channel: `chat:room-${i}` } })) });
const publishReq = parseJsonWithRaw(publishText, topRaw);
const batchReq = parseJsonWithRaw(batchText, batchRaw);

function measure(name: string, n: number, fn: () => unknown): void {
  for (let i = 0; i < Math.min(n, 20_000); i++) fn(); // warm up the JIT
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  const ns = Number(process.hrtime.bigint() - started) / n;
  console.log(`${name.padEnd(30)} ${ns.toFixed(0).padStart(9)} ns/op  (${n} ops)`);
}

// The batch decodes 100 publishes per op: a tenth of the iterations keeps the run short.
measure('publish: decode', iterations, () => decodeRequest('publish', publishReq));
measure('batch of 100: decode', iterations / 10, () => decodeRequest('batch', batchReq));
measure('publish: parse + decode', iterations, () => decodeRequest('publish', parseJsonWithRaw(publishText, topRaw)));
measure('batch of 100: parse + decode', iterations / 10, () => decodeRequest('batch', parseJsonWithRaw(batchText, batchRaw)));
