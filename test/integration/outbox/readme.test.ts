// The README's outbox example against the real PostgreSQL: its consumer block
// loads, and its SQL (verbatim but for the table names, which are fresh here
// and dropped afterwards) reaches a subscriber of chat:lobby.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/load.js';
import { generateConfig } from '../../../src/config/documents.js';
import { readmeBlock, readmeJsonAfter } from '../../helpers/readme.js';
import { dataOf, subscribedClient } from '../../helpers/sdk.js';
import { token } from '../../helpers/server.js';
import { cleanUp, newOutbox, newPool, ownTables, pgDsn, startOutboxServer, waitFor, type InProcess, type Outbox } from './helpers.js';

describe('README: publish from your database transaction', () => {
  const pool = newPool();
  const messages = `readme_messages_${randomBytes(4).toString('hex')}`;
  let box: Outbox;
  let srv: InProcess;

  before(async () => {
    ownTables(pgDsn(), messages);
    box = await newOutbox('readme_outbox');
    const consumer = (readmeJsonAfter('2. Add a consumer to the config') as { consumers: Record<string, any>[] }).consumers[0]!;
    assert.equal(consumer.postgresql.outbox_table_name, 'outbox', 'the README names the default table');
    consumer.postgresql = {
      ...consumer.postgresql,
      dsn: pgDsn(),
      outbox_table_name: box.table,
      dead_letter_table_name: box.deadLetter,
      partition_notification_channel: box.channel,
    };
    assert.deepEqual(loadConfig({ raw: { consumers: [consumer] }, env: {} }).warnings, [], 'the README block has only known keys');
    srv = await startOutboxServer([consumer], { config: { channel: generateConfig().channel } as never });
  });

  after(async () => {
    await srv?.stop();
    await pool.end();
    await cleanUp();
  });

  it("the README's transaction reaches a chat:lobby subscriber", async () => {
    const { client, pubs } = await subscribedClient(srv.wsUrl, 'chat:lobby', 'alice', (u) => token(u));
    const sql = readmeBlock('outbox')
      .replace(/\bmessages\b/g, messages)
      .replace(/\boutbox\b/g, box.table);
    await pool.query(sql);
    await waitFor(() => pubs.length === 1, 10_000, 'the publication from the outbox row');
    assert.deepEqual(dataOf(pubs[0].data), { text: 'paid and shipped' });
    assert.equal((await pool.query(`SELECT count(*)::int AS n FROM ${messages}`)).rows[0].n, 1);
    client.disconnect();
  });
});
