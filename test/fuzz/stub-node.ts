// A stand-in for the Node behind the API Dispatcher, so the fuzzer decodes
// API requests through the real dispatch path without a server: the config
// and channel resolver are real (defaults, one namespace), a publish succeeds
// at once (with or without a promise), and anything else a method reaches for throws StubReached, which
// the dispatcher turns into an internal error as it would any failure.
//
// The dispatcher answers every other exception of a method with an internal
// error too (code 100, which consumers retry forever), logging it: the stub's
// logger keeps those, and takeMethodFailure() hands them to the target.

import { ChannelResolver } from '../../src/channels/resolver.js';
import { loadConfig } from '../../src/config/load.js';
import { Dispatcher } from '../../src/api/dispatcher.js';
import { Metrics } from '../../src/metrics.js';
import type { Node } from '../../src/node/node.js';

export class StubReached extends Error {
  constructor(what: string) {
    super(`stub node has no ${what}`);
    this.name = 'StubReached';
  }
}

let methodFailure: unknown = undefined;

/** The error a method threw since the last call (other than StubReached), if any. */
export function takeMethodFailure(): unknown {
  const err = methodFailure;
  methodFailure = undefined;
  return err;
}

const keepFailure = (obj: unknown) => {
  const err = (obj as { err?: unknown } | undefined)?.err;
  if (err !== undefined && !(err instanceof StubReached)) methodFailure ??= err;
};

/** The dispatcher and methods log failures at error level; nothing else is of interest. */
const log = new Proxy({}, { get: (_t, level) => (level === 'error' || level === 'fatal' ? keepFailure : level === 'child' ? () => log : () => undefined) });

function stubNode(): Node {
  const { config } = loadConfig({ file: '', env: {}, raw: { channel: { namespaces: [{ name: 'chat', history_size: 10, history_ttl: '60s' }] } } });
  const known: Record<string, unknown> = {
    config,
    resolver: new ChannelResolver(config),
    metrics: new Metrics({ defaultMetrics: false }),
    log,
    publish: async () => ({ position: { offset: 1, epoch: 'e' }, suppressed: false }),
    // As on the memory engine: consumers publish at once (Dispatcher.dispatchNow), the API through publish.
    publishesNow: true,
    publishNow: () => ({ position: { offset: 1, epoch: 'e' }, suppressed: false }),
  };
  return new Proxy(known, {
    get(target, key) {
      if (typeof key === 'symbol' || key === 'then') return undefined;
      if (Object.hasOwn(target, key)) return target[key];
      throw new StubReached(key);
    },
  }) as unknown as Node;
}

let shared: Dispatcher | null = null;

/** One Dispatcher over the stub node for every target in the process. */
export function stubDispatcher(): Dispatcher {
  return (shared ??= new Dispatcher(stubNode()));
}
