// Every fuzz target, in the order the CLI runs and reports them.

import type { FuzzTarget } from '../target.js';
import { httpApi, legacyApi, grpcApi } from './api.js';
import { channelsSurvey } from './channels-survey.js';
import { clientJson } from './client-json.js';
import { clientProtobuf } from './client-protobuf.js';
import { configFile } from './config-file.js';
import { emulationBody, emulationSurvey, uniConnect } from './connect-requests.js';
import { control } from './control.js';
import { debezium, kafkaHeaders, kafkaRecord } from './kafka.js';
import { natsPubSub } from './nats-pubsub.js';
import { outboxRow } from './outbox.js';
import { proxyGrpc, proxyHttp } from './proxy.js';
import { redisPubSub } from './redis-pubsub.js';

export const TARGETS: readonly FuzzTarget[] = [
  clientJson,
  clientProtobuf,
  emulationBody,
  emulationSurvey,
  uniConnect,
  httpApi,
  legacyApi,
  grpcApi,
  redisPubSub,
  natsPubSub,
  control,
  channelsSurvey,
  kafkaRecord,
  kafkaHeaders,
  debezium,
  outboxRow,
  proxyHttp,
  proxyGrpc,
  configFile,
];

export function targetNamed(name: string): FuzzTarget | undefined {
  return TARGETS.find((t) => t.name === name);
}
