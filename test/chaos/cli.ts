// The chaos run: fault scenarios end to end against real services, each
// ending with lost / duplicated / out-of-order counts and a PASS/FAIL line.
//
//   npm run chaos                         every scenario
//   npm run chaos -- redis-stop,kill9-kafka
//   npm run chaos -- --list
//   npm run chaos -- --seconds 30         traffic length per scenario (default 20)
//   npm run chaos -- --keep-services      leave the chaos services running afterwards
//
// The services are the chaos run's own instances (test/chaos/services.ts), on
// ports of their own; the shared ones are never stopped or frozen. Exit code
// 1 when any scenario fails.

import { parseArgs } from 'node:util';
import { Nodes } from './nodes.js';
import { passed, scenarioBlock, summaryTable, type Row } from './report.js';
import { SCENARIOS } from './scenarios.js';
import { CHAOS_PORTS, stopService, thawRedis, type ServiceName } from './services.js';

const USAGE = `usage: npm run chaos -- [scenario[,scenario…]] [--seconds N] [--keep-services] [--list]`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    list: { type: 'boolean', default: false },
    seconds: { type: 'string', default: '20' },
    'keep-services': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help || values.list) {
  if (values.help) console.log(USAGE);
  for (const s of SCENARIOS) console.log(`${s.name.padEnd(18)} ${s.summary}`);
  process.exit(0);
}

const seconds = Number(values.seconds);
if (!Number.isFinite(seconds) || seconds < 5) {
  console.error(`--seconds must be a number of at least 5 (got ${values.seconds})`);
  process.exit(2);
}
const wanted = positionals.flatMap((p) => p.split(',')).filter(Boolean);
const unknown = wanted.filter((n) => !SCENARIOS.some((s) => s.name === n));
if (unknown.length > 0) {
  console.error(`unknown scenario ${unknown.join(', ')}; --list shows them`);
  process.exit(2);
}
const selected = wanted.length === 0 ? SCENARIOS : SCENARIOS.filter((s) => wanted.includes(s.name));

console.log(
  `chaos run: ${selected.map((s) => s.name).join(', ')}; ${seconds} s of traffic each; services on PostgreSQL ${CHAOS_PORTS.postgres}, ` +
    `Redis ${CHAOS_PORTS.redis}, Kafka ${CHAOS_PORTS.kafka}, NATS ${CHAOS_PORTS.nats}`,
);
// Interrupted: Redis must not stay frozen, nor the scenario's nodes outlive the run
// (killAll sends its SIGKILLs before its first await).
let current: Nodes | null = null;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    thawRedis();
    void current?.killAll();
    process.exit(130);
  });
}

const rows: Row[] = [];
const used = new Set<ServiceName>();
for (const scenario of selected) {
  console.log(`\n== ${scenario.name}: ${scenario.summary}`);
  scenario.services.forEach((s) => used.add(s));
  const nodes = new Nodes();
  current = nodes;
  const started = Date.now();
  const log = (line: string) => console.log(`  … ${line}`);
  let row: Row;
  try {
    const outcome = await scenario.run({ seconds, nodes, log });
    row = { scenario: scenario.name, seconds: (Date.now() - started) / 1000, outcome };
  } catch (err) {
    // A scenario that could not finish is a failure with the reason, not a crashed run.
    const failed = [`the scenario finished (${(err as Error).stack ?? err})`];
    row = {
      scenario: scenario.name,
      seconds: (Date.now() - started) / 1000,
      outcome: { sent: 0, acked: 0, notes: [], criterion: ['the scenario finished'], failed },
    };
  } finally {
    thawRedis();
    await nodes.killAll();
  }
  rows.push(row);
  console.log(scenarioBlock(row));
}

console.log(`\n${summaryTable(rows)}`);
if (!values['keep-services']) {
  for (const s of used) {
    try {
      await stopService(s);
    } catch (err) {
      console.error(`stopping the chaos ${s}: ${(err as Error).message}`);
    }
  }
}
const failures = rows.filter((r) => !passed(r.outcome)).length;
console.log(failures === 0 ? `\nchaos: all ${rows.length} scenarios PASS` : `\nchaos: ${failures} of ${rows.length} scenarios FAIL`);
process.exit(failures === 0 ? 0 : 1);
