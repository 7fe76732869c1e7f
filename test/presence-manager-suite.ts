// The contract every PresenceManager must honour, run against each
// implementation (memory, Redis standalone, Cluster and Sentinel). A presence
// manager is started without an event handler: it hands nothing back.
// Channel names are unique per run, so leftovers in a shared backend never collide.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';

import type { PresenceManager } from '../src/engines/presence-manager.js';
import type { ClientInfo } from '../src/protocol/types.js';
import { assertInfo } from './broker-suite.js';

interface Ctx {
  presence: PresenceManager;
  /** A channel name unique to this run and test. */
  ch(name: string): string;
}

function buf(s: string): Buffer {
  return Buffer.from(s);
}

export function runPresenceManagerSuite(name: string, makePresenceManager: () => Promise<PresenceManager>): void {
  const runId = `ps-${randomBytes(4).toString('hex')}`;
  let testSeq = 0;

  /** Each test gets its own started presence manager, closed afterwards even on failure. */
  function presenceTest(title: string, fn: (ctx: Ctx) => Promise<void>): void {
    it(title, async () => {
      const presence = await makePresenceManager();
      await presence.start();
      const prefix = `${runId}:${++testSeq}`;
      try {
        await fn({ presence, ch: (n) => `${prefix}:${n}` });
      } finally {
        await presence.close();
      }
    });
  }

  const alice1: ClientInfo = { user: 'alice', client: 'c-a1', connInfo: buf('{"n":1}') };
  const alice2: ClientInfo = { user: 'alice', client: 'c-a2', chanInfo: buf('"ch"') };
  const anon1: ClientInfo = { user: '', client: 'c-x1' };
  const anon2: ClientInfo = { user: '', client: 'c-x2' };

  describe(`PresenceManager contract: ${name}`, () => {
    presenceTest('has a name and reports healthy', async ({ presence }) => {
      assert.equal(typeof presence.name, 'string');
      assert.ok(presence.name.length > 0);
      assert.equal(presence.health().healthy, true);
    });

    presenceTest('presence add, get, stats and remove', async (ctx) => {
      const { presence } = ctx;
      const ch = ctx.ch('presence');
      assert.equal((await presence.presence(ch)).size, 0);
      assert.deepEqual(await presence.presenceStats(ch), { numClients: 0, numUsers: 0 });

      for (const info of [alice1, alice2, anon1, anon2]) await presence.addPresence(ch, info.client, info);
      await presence.addPresence(ch, alice1.client, alice1); // re-adding refreshes, never duplicates
      const present = await presence.presence(ch);
      assert.deepEqual([...present.keys()].sort(), ['c-a1', 'c-a2', 'c-x1', 'c-x2']);
      assertInfo(present.get('c-a1'), alice1);
      assertInfo(present.get('c-a2'), alice2);
      assertInfo(present.get('c-x1'), anon1);
      // Distinct users: alice plus anonymous counted once.
      assert.deepEqual(await presence.presenceStats(ch), { numClients: 4, numUsers: 2 });

      await presence.removePresence(ch, alice1.client, alice1.user);
      assert.deepEqual(await presence.presenceStats(ch), { numClients: 3, numUsers: 2 });
      await presence.removePresence(ch, alice2.client, alice2.user);
      assert.deepEqual(await presence.presenceStats(ch), { numClients: 2, numUsers: 1 });
      await presence.removePresence(ch, anon1.client, anon1.user);
      await presence.removePresence(ch, anon2.client, anon2.user);
      await presence.removePresence(ch, 'never-added', 'nobody');
      assert.equal((await presence.presence(ch)).size, 0);
      assert.deepEqual(await presence.presenceStats(ch), { numClients: 0, numUsers: 0 });
    });

    presenceTest('presence is per channel', async (ctx) => {
      const { presence } = ctx;
      await presence.addPresence(ctx.ch('p1'), alice1.client, alice1);
      assert.equal((await presence.presence(ctx.ch('p2'))).size, 0);
      assert.deepEqual(await presence.presenceStats(ctx.ch('p1')), { numClients: 1, numUsers: 1 });
    });
  });
}
