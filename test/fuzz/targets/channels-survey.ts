// The `channels` survey between nodes: the request's data (a glob pattern)
// arrives from another node in a control message and is matched against
// every local channel name; each node's reply comes back the same way and is
// summed. A bad request is a SurveyError (answered with its code), a bad
// reply a ChannelsSurveyError (the API call fails); neither may crash or
// block the node, however the pattern is written.

import type { Hub } from '../../../src/hub/hub.js';
import { ChannelsSurveyError, localChannels, mergeChannels } from '../../../src/node/control/channels-survey.js';
import { SurveyError } from '../../../src/node/control/survey-handler.js';
import { jsonSeed, type FuzzTarget } from '../target.js';

/** Channel names of every shape a pattern meets: short, namespaced, long, repetitive, odd characters. */
const CHANNELS: Array<[string, number]> = [
  ['news', 3],
  ['chat:1', 1],
  ['chat:room:42', 2],
  ['$private', 1],
  ['user#42', 1],
  ['a'.repeat(200), 1],
  ['chat:' + 'a:'.repeat(60) + 'b', 1],
  ['é😀\n[x]{y}*?', 1],
  ['__proto__', 1],
];
const hub = { channelCounts: () => CHANNELS.values() } as unknown as Hub;

export const channelsSurvey: FuzzTarget = {
  name: 'channels-survey',
  description: 'channels survey requests and replies between nodes (localChannels + mergeChannels)',
  format: 'json',
  seeds: [
    jsonSeed({ pattern: 'chat:*' }),
    jsonSeed({ pattern: '' }),
    jsonSeed({ pattern: '{chat,news}*[0-9]?' }),
    jsonSeed({ pattern: '*a*a*:*' }),
    jsonSeed({ pattern: '[!a-z]*\\*' }),
    jsonSeed(null),
  ],
  run({ data }) {
    const request: unknown = JSON.parse(data.toString('utf8'));
    const counts = localChannels(hub, request);
    // The reply as another node sends it back, and the same reply after the mutations the request went through.
    mergeChannels([
      ['n1', { code: 0, data: counts }],
      ['n2', { code: 0, data: request }],
    ]);
  },
  expected: (err) => err instanceof SurveyError || err instanceof ChannelsSurveyError || err instanceof SyntaxError,
};
