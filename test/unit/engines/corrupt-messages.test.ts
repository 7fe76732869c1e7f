// Corrupt messages from other nodes: each is counted by broker and claimed
// kind, and a warning goes to the log at most once per 10 s, saying how many
// were dropped since the last one (a misbehaving peer must not flood the log).
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { CorruptMessages, corruptMessagesCounter } from '../../../src/engines/corrupt-messages.js';
import { Metrics } from '../../../src/metrics.js';

function capturingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'warn' }, stream), lines };
}

describe('CorruptMessages', () => {
  it('counts every drop and warns at most once per interval, with the count since the last warning', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const { log, lines } = capturingLogger();
    let now = 1_000_000;
    const corrupt = new CorruptMessages('redis', log, corruptMessagesCounter(metrics), () => now);
    corrupt.drop('publication', 'news', 'malformed PUB/SUB message');
    for (let i = 0; i < 999; i++) corrupt.drop('join', 'news', 'bad ClientInfo');
    now += 10_000;
    corrupt.drop('publication', 'chat', 'malformed PUB/SUB message');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(
      lines.map((l) => [l.msg, l.broker, l.kind, l.channel, l.dropped]),
      [
        ['corrupt message from another node dropped', 'redis', 'publication', 'news', 1],
        ['corrupt message from another node dropped', 'redis', 'publication', 'chat', 1000],
      ],
    );
    const counted = (await corruptMessagesCounter(metrics).get()).values.map((v) => [v.labels.broker, v.labels.kind, v.value]);
    assert.deepEqual(counted, [
      ['redis', 'publication', 2],
      ['redis', 'join', 999],
    ]);
  });

  it('one counter for every broker of a process, registered once', () => {
    const metrics = new Metrics({ defaultMetrics: false });
    assert.equal(corruptMessagesCounter(metrics), corruptMessagesCounter(metrics));
  });
});
