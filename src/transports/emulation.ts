// The emulation endpoint (/emulation): an HTTP-streaming or SSE client's
// commands after the connect, as {node, session, data} in JSON (data: the
// commands as a JSON string) or as a Protobuf EmulationRequest (data: the
// varint-delimited commands). The request goes to the node that holds the
// session, through a targeted survey (op centrifuge_emulation, as
// Centrifugo's), and is answered once the commands have run there: 204, even
// when the session is gone (its stream has ended and the client reconnects);
// 404 for an unknown node; 500 when the survey fails or times out.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Node } from '../node/node.js';
import { NodeNotFound, SurveyError } from '../node/control/survey-handler.js';
import { RawJson, parseJsonWithRaw } from '../protocol/json/raw-json.js';
import { decodeMessage } from '../protocol/protobuf/message.js';
import { EmulationRequest } from '../protocol/protobuf/schema.js';
import { isRecord } from '../util/values.js';
import type { OriginCheck } from './origin.js';
import { applyCors, answerPreflight } from './cors.js';
import { answer, readLimitedBody } from './stream-session.js';

export const EMULATION_OP = 'centrifuge_emulation';

/** Survey reply codes of the emulation op (Centrifugo's). */
const BAD_REQUEST = 1;
const NO_SESSION = 2;

interface Emulation {
  node: string;
  session: string;
  /** The request's data bytes: a JSON string's text in JSON, the delimited commands in Protobuf. */
  data: Buffer;
}

/** Decodes the request body; throws on anything malformed (the endpoint answers 400). */
export function decodeEmulation(body: Buffer, protobuf: boolean): Emulation {
  if (protobuf) {
    const m = decodeMessage(body, EmulationRequest);
    return { node: (m.node as string) ?? '', session: (m.session as string) ?? '', data: (m.data as Buffer) ?? Buffer.alloc(0) };
  }
  const v = parseJsonWithRaw(body.toString('utf8'), (path) => path.length === 1 && path[0] === 'data');
  if (!isRecord(v)) throw new Error('emulation request is not an object');
  const str = (key: string) => {
    const x = v[key];
    if (x === undefined || x === null) return '';
    if (typeof x !== 'string') throw new Error(`${key} is not a string`);
    return x;
  };
  const data = v.data instanceof RawJson ? v.data.toBuffer() : Buffer.alloc(0);
  return { node: str('node'), session: str('session'), data };
}

/** The survey's data: JSON crosses nodes, so the bytes travel as base64. */
interface EmulationSurveyData {
  session: string;
  data: string;
}

/** Runs an emulation request's commands in the session it names, on the node that holds it. */
export function emulationSurveyHandler(node: Node): (data: unknown) => Promise<null> {
  return async (raw) => {
    if (!isRecord(raw) || typeof raw.session !== 'string' || typeof raw.data !== 'string') throw new SurveyError(BAD_REQUEST, 'bad emulation survey');
    const client = node.clientBySession(raw.session);
    if (!client) throw new SurveyError(NO_SESSION, 'no session');
    let commands = Buffer.from(raw.data, 'base64');
    if (client.codec.name === 'json') {
      // JSON clients send their commands as one JSON string.
      let text: unknown;
      try {
        text = JSON.parse(commands.toString('utf8'));
      } catch {
        text = undefined;
      }
      if (typeof text !== 'string') throw new SurveyError(BAD_REQUEST, 'emulation data is not a JSON string');
      commands = Buffer.from(text);
    }
    await client.process(commands);
    return null;
  };
}

export class EmulationEndpoint {
  constructor(
    private readonly node: Node,
    private readonly origins: OriginCheck,
  ) {}

  get path(): string {
    return this.node.config.emulation.handler_prefix;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const node = this.node;
    applyCors(req, res, this.origins);
    if (req.method === 'OPTIONS') return answerPreflight(res);
    if (req.method !== 'POST') return answer(res, 405);
    const body = await readLimitedBody(req, res, node.config.emulation.max_request_body_size, node.log, 'emulation');
    if (body === null) return;
    let emulation: Emulation;
    try {
      emulation = decodeEmulation(body, req.headers['content-type'] === 'application/octet-stream');
    } catch (err) {
      node.log.info({ err: (err as Error).message }, "can't decode emulation request");
      return answer(res, 400);
    }
    const survey: EmulationSurveyData = { session: emulation.session, data: emulation.data.toString('base64') };
    try {
      await node.control.surveyNode(EMULATION_OP, survey, emulation.node);
    } catch (err) {
      node.log.info({ err: (err as Error).message, node: emulation.node, session: emulation.session }, 'error processing emulation request');
      return answer(res, err instanceof NodeNotFound ? 404 : 500);
    }
    answer(res, 204);
  }
}
