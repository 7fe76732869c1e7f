// redis-server frozen with SIGSTOP under publish traffic, then SIGCONT: the
// connections stay open and nothing answers, so publishes wait for the
// engine's io_timeout (4 s) and fail with 100, and the commands already
// written to the sockets run once Redis resumes. See redis-fault.ts for what
// is checked.

import { sleep } from '../helpers/process.js';
import { publishThroughRedisFault } from './redis-fault.js';
import type { Scenario } from './scenario.js';
import { freezeRedis, thawRedis } from './services.js';

/** Longer than the 4 s io_timeout, so that publishes time out rather than just wait. */
const FROZEN_MS = 6000;

export const redisFreeze: Scenario = {
  name: 'redis-freeze',
  summary: `redis-server frozen (SIGSTOP) for ${FROZEN_MS / 1000} s under publish traffic, then SIGCONT`,
  services: ['redis'],
  run: (ctx) =>
    publishThroughRedisFault(ctx, async (v) => {
      freezeRedis();
      try {
        await sleep(FROZEN_MS);
      } finally {
        thawRedis();
      }
      v.note(`Redis frozen for ${FROZEN_MS / 1000} s`);
    }),
};
