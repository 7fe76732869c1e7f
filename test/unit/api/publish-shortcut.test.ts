// The publish shortcut must give exactly what the full decode gives, or step
// aside: every input here goes through both.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodePlainPublish, decodePlainPublishBatch } from '../../../src/api/publish-shortcut.js';
import { decodeRequest } from '../../../src/api/requests.js';
import { parseJsonWithRaw, type JsonPath } from '../../../src/protocol/json/raw-json.js';

const topRaw = (p: JsonPath) => p.length === 1 && typeof p[0] === 'string' && ['data', 'info'].includes(p[0].toLowerCase());
const parse = (text: string) => parseJsonWithRaw(text, topRaw);
// The HTTP API's batch predicate: raw fields of each command's request.
const batchRaw = (p: JsonPath) => p.length === 4 && p[0] === 'commands' && typeof p[3] === 'string' && ['data', 'info', 'params'].includes(p[3].toLowerCase());
const parseBatch = (text: string) => parseJsonWithRaw(text, batchRaw);

/** Full decode's result, or the error message it throws. */
function full(req: unknown, method: 'publish' | 'batch' = 'publish'): unknown {
  try {
    return decodeRequest(method, req);
  } catch (err) {
    return `error: ${(err as Error).message}`;
  }
}

const TAKEN = [
  '{"channel":"a","data":{"x":1}}',
  '{"channel":"a","data":"text","idempotency_key":"k"}',
  '{"data":[1,2],"channel":"chat:1","skip_history":true,"delta":false,"version":7,"version_epoch":"e","b64data":""}',
  '{"channel":"a","data":{},"tags":{"kind":"msg","":"empty key"}}',
  '{"channel":"a","data":1,"version":0}',
  '{"channel":"a","data":{"x":1},"tags":{}}',
  '{"channel":"a","data":null}', // the raw literal null, as the parser keeps it
  '{}',
];

const DECLINED = [
  '{"Channel":"a","data":1}', // another spelling: key folding is the full decode's
  '{"channel":"a","data":1,"extra":true}', // unknown keys
  '{"channel":null,"data":1}', // null sets nothing
  '{"channel":1,"data":1}',
  '{"channel":"a","skip_history":"yes"}',
  '{"channel":"a","version":-1}',
  '{"channel":"a","version":1.5}',
  '{"channel":"a","version":9007199254740993}',
  '{"channel":"a","tags":{"k":1}}',
  '{"channel":"a","tags":{"k":null}}',
  '{"channel":"a","tags":["x"]}',
  '{"channel":"a","tags":{"__proto__":"x"}}',
  '{"channel":"a","data":1,"channel":"b"}', // JSON.parse keeps the last: still plain
  '[]',
  '"text"',
  'null',
];

describe('publish shortcut', () => {
  it('gives the full decode’s result for plain requests', () => {
    for (const text of TAKEN) {
      const req = parse(text);
      const quick = decodePlainPublish(req);
      assert.ok(quick !== undefined, `${text} should take the shortcut`);
      assert.deepStrictEqual(quick, full(req), text);
    }
  });

  it('steps aside for anything else, and then the full decode still decides', () => {
    for (const text of DECLINED) {
      const req = parse(text);
      const quick = decodePlainPublish(req);
      if (quick === undefined) continue;
      // A few of these are plain after JSON.parse (a repeated key): then they must agree.
      assert.deepStrictEqual(quick, full(req), text);
    }
    assert.equal(decodePlainPublish(parse('{"Channel":"a"}')), undefined);
    assert.equal(decodePlainPublish(parse('{"channel":"a","tags":{"k":1}}')), undefined);
  });

  it('agrees with the full decode on generated requests', () => {
    const values = ['"s"', '""', '1', '0', '-1', '2.5', 'true', 'false', 'null', '{}', '[]', '{"a":"b"}', '{"a":1}', '9007199254740991'];
    const keys = ['channel', 'data', 'b64data', 'skip_history', 'tags', 'idempotency_key', 'delta', 'version', 'version_epoch', 'DATA', 'other'];
    let seed = 7;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let i = 0; i < 5000; i++) {
      const members = Array.from({ length: next(5) }, () => `"${keys[next(keys.length)]}":${values[next(values.length)]}`);
      const text = `{${members.join(',')}}`;
      const req = parse(text);
      const quick = decodePlainPublish(req);
      if (quick !== undefined) assert.deepStrictEqual(quick, full(req), text);
    }
  });

  it('takes a batch of plain publishes, and steps aside for any other batch', () => {
    const taken = [
      '{"commands":[{"publish":{"channel":"a","data":{"x":1}}},{"publish":{"channel":"b","data":2,"idempotency_key":"k"}}]}',
      '{"commands":[{"publish":{"channel":"a","data":1}}],"parallel":true}',
      '{"commands":[],"parallel":false}',
    ];
    for (const text of taken) {
      const req = parseBatch(text);
      const quick = decodePlainPublishBatch(req);
      assert.ok(quick !== undefined, `${text} should take the shortcut`);
      assert.deepStrictEqual(quick, full(req, 'batch'), text);
    }
    const declined = [
      '{}', // no commands: the full decode answers
      '{"commands":[{"publish":{"channel":"a","data":1}},{"broadcast":{"channels":["a"],"data":1}}]}',
      '{"commands":[{"publish":{"Channel":"a","data":1}}]}',
      '{"commands":[{"publish":{"channel":"a"},"history":{"channel":"a"}}]}',
      '{"commands":[null]}',
      '{"commands":[[]]}',
      '{"commands":{}}',
      '{"commands":[],"parallel":"yes"}',
      '{"Commands":[]}',
      '{"commands":[],"extra":1}',
      '{"__proto__":{"commands":[]}}',
      '[]',
    ];
    for (const text of declined) assert.equal(decodePlainPublishBatch(parseBatch(text)), undefined, text);
  });

  it('agrees with the full decode on generated batches', () => {
    const commands = [
      '{"publish":{"channel":"a","data":1}}',
      '{"publish":{"channel":"b","data":{"k":[1,2]},"tags":{"t":"v"}}}',
      '{"publish":{"channel":"c","data":"x","version":3,"version_epoch":"e"}}',
      '{"publish":{"channel":1,"data":1}}',
      '{"publish":null}',
      '{"publish":{"channel":"a","data":1},"publish":{"channel":"z","data":2}}',
      '{"history":{"channel":"a"}}',
      '{}',
    ];
    let seed = 11;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let i = 0; i < 2000; i++) {
      const list = Array.from({ length: next(5) }, () => commands[next(commands.length)]);
      const parallel = ['', ',"parallel":true', ',"parallel":false', ',"parallel":1'][next(4)];
      const text = `{"commands":[${list.join(',')}]${parallel}}`;
      const req = parseBatch(text);
      const quick = decodePlainPublishBatch(req);
      if (quick !== undefined) assert.deepStrictEqual(quick, full(req, 'batch'), text);
    }
  });
});
