import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { durationToMs, parseDuration } from '../../../src/util/go-syntax.js';

describe('parseDuration (Go syntax → ms)', () => {
  const cases: [string, number][] = [
    ['0', 0],
    ['25s', 25_000],
    ['1m30s', 90_000],
    ['720h', 2_592_000_000],
    ['100ms', 100],
    ['1.5h', 5_400_000],
    ['1500us', 1.5],
    ['1500µs', 1.5],
    ['1500μs', 1.5],
    ['2000000ns', 2],
    ['.5s', 500],
    ['5.s', 5000],
    ['-1s', -1000],
    ['+2m', 120_000],
    ['1h0m0s', 3_600_000],
    ['0s', 0],
  ];
  for (const [input, ms] of cases) {
    it(`${input} → ${ms}ms`, () => assert.equal(parseDuration(input), ms));
  }

  for (const bad of ['', '25', '1x', 's', '.s', '1h-1m', ' 1s', '1 s', 'abc', '1.2.3s', '-']) {
    it(`rejects ${JSON.stringify(bad)} with a clear message`, () => {
      assert.throws(
        () => parseDuration(bad),
        (err: Error) => {
          assert.match(err.message, /^invalid duration /);
          assert.match(err.message, /Go syntax/);
          return true;
        },
      );
    });
  }

  it('says "missing unit" for a bare number', () => {
    assert.throws(() => parseDuration('300'), /missing unit/);
  });

  it('rejects durations beyond Go int64 nanoseconds', () => {
    assert.throws(() => parseDuration('3000000h'), /overflow/);
  });
});

describe('durationToMs', () => {
  it('reads JSON numbers as nanoseconds, like Centrifugo', () => {
    assert.equal(durationToMs(25_000_000_000), 25_000);
    assert.equal(durationToMs(1_000_000), 1);
    assert.equal(durationToMs(0), 0);
  });
  it('parses strings, trimming whitespace', () => {
    assert.equal(durationToMs(' 10s '), 10_000);
  });
  it('rejects other types', () => {
    assert.throws(() => durationToMs(true), /invalid duration true/);
    assert.throws(() => durationToMs({}), /invalid duration/);
    assert.throws(() => durationToMs(Number.NaN), /finite/);
  });
});
