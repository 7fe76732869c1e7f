// Redis stopped under publish traffic and started again with its data (as a
// Redis with persistence comes back): see redis-fault.ts for what is checked.

import { sleep } from '../helpers/process.js';
import { publishThroughRedisFault } from './redis-fault.js';
import type { Scenario } from './scenario.js';
import { ensureService, forgetRedisDump, stopRedisKeepingData } from './services.js';

export const redisStop: Scenario = {
  name: 'redis-stop',
  summary: 'Redis stopped (SHUTDOWN SAVE) for a few seconds under publish traffic, started again',
  services: ['redis'],
  run: (ctx) =>
    publishThroughRedisFault(ctx, async (v) => {
      const downMs = Math.max(3000, ctx.seconds * 150);
      stopRedisKeepingData();
      await sleep(downMs);
      await ensureService('redis');
      forgetRedisDump();
      v.note(`Redis down for ${(downMs / 1000).toFixed(1)} s`);
    }),
};
