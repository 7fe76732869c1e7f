// Requests of the HTTP transports that are not client-protocol frames: the
// emulation endpoint's body ({node, session, data} in JSON, an
// EmulationRequest in Protobuf), the emulation survey that carries it to the
// node holding the session, and the bare ConnectRequest of the unidirectional
// transports (cf_connect, a POST body, a first WebSocket message).

import type { Node } from '../../../src/node/node.js';
import { DecodeError } from '../../../src/protocol/decode-error.js';
import { decodeJsonConnectRequest } from '../../../src/protocol/json/decode.js';
import { jsonCodec } from '../../../src/protocol/json/codec.js';
import { protobufCodec } from '../../../src/protocol/protobuf/codec.js';
import { encodeDelimited, encodeMessage } from '../../../src/protocol/protobuf/message.js';
import { Command, EmulationRequest } from '../../../src/protocol/protobuf/schema.js';
import { SurveyError } from '../../../src/node/control/survey-handler.js';
import { decodeEmulation, emulationSurveyHandler } from '../../../src/transports/emulation.js';
import { check, jsonSeed, seed, type FuzzTarget } from '../target.js';
import { checkCommand } from './command-shape.js';

/** A thrown plain Error or SyntaxError is how decodeEmulation refuses a body (→ 400); a TypeError or RangeError is not. */
const refusedBody = (err: unknown) => err instanceof DecodeError || err instanceof SyntaxError || (err instanceof Error && err.constructor === Error);

const JSON_COMMANDS = '{"id":1,"subscribe":{"channel":"news"}}\n{"id":2,"publish":{"channel":"news","data":{"a":1}}}';
const PB_COMMANDS = Buffer.concat([
  encodeDelimited(Command, { id: 1, subscribe: { channel: 'news' } }),
  encodeDelimited(Command, { id: 2, rpc: { method: 'm' } }),
]);

export const emulationBody: FuzzTarget = {
  name: 'emulation',
  description: 'emulation request bodies, JSON and Protobuf (decodeEmulation)',
  format: 'json',
  variants: ['json', 'protobuf'],
  seeds: [
    jsonSeed({ node: 'n1', session: 's1', data: JSON_COMMANDS }, 'json'),
    jsonSeed({ node: 'n1', session: 's1', data: '{"id":1,"ping":{}}' }, 'json'),
    jsonSeed({ session: 's1' }, 'json'),
    seed(encodeMessage(EmulationRequest, { node: 'n1', session: 's1', data: PB_COMMANDS }), 'protobuf'),
  ],
  run({ variant, data }) {
    const e = decodeEmulation(data, variant === 'protobuf');
    check(typeof e.node === 'string' && typeof e.session === 'string' && Buffer.isBuffer(e.data), 'emulation request fields of the wrong type');
  },
  expected: refusedBody,
};

/** A node holding one session of each protocol; the survey's commands are decoded by the session's codec. */
const sessions = new Map(
  [jsonCodec, protobufCodec].map((codec) => [
    codec.name,
    {
      codec,
      process: async (commands: Buffer) => {
        try {
          for (const cmd of codec.decodeCommands(commands)) checkCommand(cmd);
        } catch (err) {
          if (!(err instanceof DecodeError)) throw err; // a session answers a DecodeError with 3501
        }
      },
    },
  ]),
);
const surveyNode = { clientBySession: (session: string) => sessions.get(session as 'json' | 'protobuf') } as unknown as Node;
const handleSurvey = emulationSurveyHandler(surveyNode);

export const emulationSurvey: FuzzTarget = {
  name: 'emulation-survey',
  description: 'emulation survey data from another node (emulationSurveyHandler)',
  format: 'json',
  seeds: [
    jsonSeed({ session: 'json', data: Buffer.from(JSON.stringify(JSON_COMMANDS)).toString('base64') }),
    jsonSeed({ session: 'protobuf', data: PB_COMMANDS.toString('base64') }),
    jsonSeed({ session: 'gone', data: '' }),
  ],
  run: ({ data }) => handleSurvey(JSON.parse(data.toString('utf8'))),
  // The control plane answers a SurveyError with its code; JSON.parse stands for the control message decoder.
  expected: (err) => err instanceof SurveyError || err instanceof SyntaxError,
};

export const uniConnect: FuzzTarget = {
  name: 'uni-connect',
  description: 'unidirectional connect requests (decodeJsonConnectRequest)',
  format: 'json',
  seeds: [
    jsonSeed({ token: 'eyJ.x.y', data: { a: 1 }, name: 'js', version: '1', headers: { h: 'v' }, subs: { news: { recover: true, offset: 1, epoch: 'e' } } }),
    jsonSeed({}),
    seed('null'),
    jsonSeed({ subs: { a: null, b: {} } }),
  ],
  run({ data }) {
    const req = decodeJsonConnectRequest(data.toString('utf8'));
    checkCommand({ id: 1, kind: 'connect', req });
  },
  expected: (err) => err instanceof DecodeError,
};
