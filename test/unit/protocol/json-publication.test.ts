// The field-by-field publication encoder must write the same bytes as the
// generic encoder over publicationValue, for every field combination.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JsonStringData } from '../../../src/protocol/codec.js';
import { encodePublicationJson, encodePublicationPush, encodePushText } from '../../../src/protocol/json/frames.js';
import { stringifyWithRaw } from '../../../src/protocol/json/raw-json.js';
import type { Publication } from '../../../src/protocol/types.js';
import { publicationValue } from '../../../src/protocol/values.js';

const datas = [
  Buffer.from('{"a":1}'),
  Buffer.from('"text"'),
  Buffer.from(''),
  Buffer.from('{"a":\n1}'),
  Buffer.from('[1,2,"é"]'),
  Buffer.from('{"a":\r1}'),
  Buffer.from('\ufeff"b"'),
];
const infos = [
  undefined,
  { user: 'u', client: 'c' },
  { user: 'u"1', client: 'c', connInfo: Buffer.from('{"x":1}'), chanInfo: Buffer.from('') },
  { user: '', client: 'c', chanInfo: Buffer.from('[1]') },
];
const tagsList: (Record<string, string> | undefined)[] = [undefined, {}, { a: 'b', 'k"q': 'v\n' }];

describe('encodePublicationJson', () => {
  it('writes what stringifyWithRaw(publicationValue(...)) writes, and encodePublicationPush its push frame', () => {
    let cases = 0;
    for (const data of datas)
      for (const info of infos)
        for (const tags of tagsList)
          for (const offset of [0, 1, 42])
            for (const channel of [undefined, '', 'news:1'])
              for (const epoch of [undefined, '', 'ep'])
                for (const delta of [false, true])
                  for (const replaced of [undefined, new JsonStringData(Buffer.from('{"p":"é"}')), Buffer.from('patch')]) {
                    const pub: Publication = { data, offset };
                    if (info) pub.info = info;
                    if (tags) pub.tags = tags;
                    if (channel !== undefined) pub.channel = channel;
                    const expected = stringifyWithRaw(publicationValue(pub, epoch, replaced, delta));
                    assert.equal(encodePublicationJson(pub, epoch, replaced, delta), expected);
                    for (const pushChannel of ['ch', 'ch"é', '']) {
                      const frame = encodePublicationPush(pushChannel, pub, epoch, replaced, delta);
                      assert.deepEqual(frame, Buffer.from(encodePushText(pushChannel, 'pub', expected)));
                    }
                    cases++;
                  }
    assert.ok(cases > 5000);
  });
});
