// Command line: `tributary [serve] --config FILE`, checkconfig, genconfig,
// defaultconfig, config schema, gentoken, gensubtoken, version, help, and the
// outbox tools (migrate, outbox status). Flags override env (CENTRIFUGO_*,
// then TRIBUTARY_*), which overrides the file, as in Centrifugo; which config
// keys are flags is the schema's to say (cli/help.ts lists them).

import { existsSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { signToken } from './auth/sign.js';
import { ConfigError } from './config/errors.js';
import { configJsonSchema, defaultInputConfig, generateConfig } from './config/documents.js';
import { loadConfig, type ConfigFlags } from './config/load.js';
import type { Config } from './config/schema.js';
import { startupWarnings } from './cli/startup-warnings.js';
import { COMMAND_WORDS, CONFIG_FLAGS, commandUsage, generalUsage } from './cli/help.js';
import { createLogger } from './log.js';
import { Server } from './server.js';
import { VERSION } from './version.js';

const FLAG_OPTIONS = {
  config: { type: 'string', short: 'c' },
  user: { type: 'string', short: 'u' },
  ttl: { type: 'string', short: 't' },
  channel: { type: 'string', short: 's' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
  dsn: { type: 'string' },
  table: { type: 'string' },
  'dead-letter-table': { type: 'string' },
  'notify-channel': { type: 'string' },
  print: { type: 'boolean' },
  json: { type: 'boolean' },
  ...Object.fromEntries(CONFIG_FLAGS.map((f) => [f.key, { type: f.bool ? 'boolean' : 'string', ...(f.short ? { short: f.short } : {}) }])),
} as const;

export async function main(argv: string[]): Promise<void> {
  let command = 'serve';
  let rest = argv;
  if (argv[0] && !argv[0].startsWith('-')) {
    if (!COMMAND_WORDS.has(argv[0])) return fail(`unknown command "${argv[0]}"; run 'tributary help' for the list`);
    command = argv[0];
    rest = argv.slice(1);
  }
  if (command === 'help') {
    const about = rest.filter((a) => !a.startsWith('-')).join(' ');
    if (!about) return print(generalUsage());
    const usage = commandUsage(about);
    return usage ? print(usage) : fail(`unknown command "${about}"; run 'tributary help' for the list`);
  }
  for (const [word, sub] of [
    ['config', 'schema'],
    ['outbox', 'status'],
  ] as const) {
    if (command !== word) continue;
    if (rest[0] !== sub) return fail(`unknown ${word} command "${rest[0] ?? ''}" (try: ${word} ${sub})`);
    command = `${word} ${sub}`;
    rest = rest.slice(1);
  }
  // --channel is gensubtoken's -s; for migrate it names the NOTIFY channel.
  if (command === 'migrate')
    rest = rest.map((a) => (a === '--channel' ? '--notify-channel' : a.startsWith('--channel=') ? `--notify-channel=${a.slice(10)}` : a));
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: rest, options: FLAG_OPTIONS as never, allowPositionals: false }).values as typeof values;
  } catch (err) {
    return fail(`${(err as Error).message}\n(run 'tributary help ${command}' for its flags)`);
  }
  if (values.help) return print(argv[0]?.startsWith('-') ? generalUsage() : commandUsage(command)!);
  if (values.version) command = 'version';
  const configFile = typeof values.config === 'string' ? values.config : undefined;

  switch (command) {
    case 'version':
      process.stdout.write(`tributary ${VERSION}\n`);
      return;
    case 'genconfig': {
      const file = configFile ?? 'config.json';
      if (existsSync(file)) return fail(`${file} already exists; refusing to overwrite it`);
      writeFileSync(file, JSON.stringify(generateConfig(), null, 2) + '\n', { mode: 0o600 });
      process.stdout.write(`wrote ${file}\n`);
      return;
    }
    case 'defaultconfig':
      process.stdout.write(JSON.stringify(defaultInputConfig(), null, 2) + '\n');
      return;
    case 'config schema':
      process.stdout.write(JSON.stringify(configJsonSchema(), null, 2) + '\n');
      return;
    case 'checkconfig': {
      const cfg = load(configFile, values);
      if (!cfg) return;
      process.stdout.write(`config ${configFile ?? 'config.json'} is valid\n`);
      return;
    }
    case 'migrate':
      return runMigrate(values);
    case 'outbox status':
      return runOutboxStatus(values);
    case 'gentoken':
    case 'gensubtoken': {
      const cfg = load(configFile, values);
      if (!cfg) return;
      return genToken(command, cfg, values);
    }
    default:
      return serve(configFile, values);
  }
}

function flagOverrides(values: Record<string, string | boolean | undefined>): ConfigFlags {
  const flags: ConfigFlags = {};
  for (const { key } of CONFIG_FLAGS) if (values[key] !== undefined) flags[key] = values[key]!;
  return flags;
}

/** Loads and validates; prints the problems and sets the exit code on failure. */
function load(file: string | undefined, values: Record<string, string | boolean | undefined>): Config | null {
  try {
    const { config, warnings } = loadConfig({ file, env: process.env, flags: flagOverrides(values) });
    for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
    return config;
  } catch (err) {
    fail(err instanceof ConfigError ? `invalid configuration:\n${err.message}` : `cannot load configuration: ${(err as Error).message}`);
    return null;
  }
}

async function genToken(command: string, cfg: Config, values: Record<string, string | boolean | undefined>): Promise<void> {
  const secret = cfg.client.token.hmac_secret_key;
  if (!secret) return fail('client.token.hmac_secret_key is not set in the configuration');
  const user = typeof values.user === 'string' ? values.user : '';
  const ttl = values.ttl !== undefined ? Number(values.ttl) : 7 * 24 * 3600;
  if (!Number.isFinite(ttl) || ttl < 0) return fail('-t must be a number of seconds');
  const claims: Record<string, unknown> = { sub: user };
  if (command === 'gensubtoken') {
    if (typeof values.channel !== 'string' || values.channel === '') return fail('gensubtoken needs -s CHANNEL');
    claims.channel = values.channel;
  }
  const subSecret = command === 'gensubtoken' && cfg.client.subscription_token.enabled ? cfg.client.subscription_token.hmac_secret_key : secret;
  const token = await signToken(subSecret || secret, claims, ttl);
  const who = user === '' ? 'anonymous user' : `user "${user}"`;
  process.stdout.write(`HMAC SHA-256 JWT for ${who} with expiration TTL ${ttl}s:\n${token}\n`);
}

async function serve(file: string | undefined, values: Record<string, string | boolean | undefined>): Promise<void> {
  let loaded;
  try {
    loaded = loadConfig({ file, env: process.env, flags: flagOverrides(values) });
  } catch (err) {
    return fail(err instanceof ConfigError ? `invalid configuration:\n${err.message}` : `cannot load configuration: ${(err as Error).message}`);
  }
  const config = loaded.config;
  const log = createLogger(config.log.level, config.log.file);
  for (const w of [...loaded.warnings, ...startupWarnings(config)]) log.warn(w);

  let created: Server | undefined;
  try {
    created = new Server(config, { logger: log });
    await created.start();
  } catch (err) {
    // The message names the cause (a consumer's names itself and its database).
    const message = err instanceof Error ? err.message : String(err);
    log.fatal({ err }, `cannot start: ${message}`);
    log.flush?.();
    process.stderr.write(`tributary: cannot start: ${message}\n`);
    process.exitCode = 1;
    await created?.stop().catch(() => undefined);
    return;
  }
  const server = created;

  let signalled = false;
  const onSignal = (signal: string): void => {
    if (signalled) return;
    signalled = true;
    log.info({ signal }, 'shutting down');
    // A hard deadline: whatever still hangs after shutdown.timeout must not keep the process alive.
    const deadline = setTimeout(() => {
      log.error('shutdown timed out');
      process.exit(1);
    }, config.shutdown.timeout);
    deadline.unref();
    server
      .stop()
      .then(() => {
        log.flush?.();
        process.exit(0);
      })
      .catch((err) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
}

type Values = Record<string, string | boolean | undefined>;

// The outbox tools load pg only when they run: serve does not need it unless a consumer is configured.
async function outboxTarget(values: Values): Promise<{ dsn: string; table: string; deadLetterTable?: string; channel?: string } | null> {
  const dsn = typeof values.dsn === 'string' ? values.dsn : undefined;
  if (!dsn && !values.print) {
    fail('--dsn postgres://user:password@host:5432/database is required');
    return null;
  }
  const { DEFAULT_OUTBOX_TABLE } = await import('./consumers/postgres-outbox/migrate.js');
  return {
    dsn: dsn ?? '',
    table: typeof values.table === 'string' ? values.table : DEFAULT_OUTBOX_TABLE,
    deadLetterTable: typeof values['dead-letter-table'] === 'string' ? values['dead-letter-table'] : undefined,
    channel: typeof values['notify-channel'] === 'string' ? values['notify-channel'] : undefined,
  };
}

async function runMigrate(values: Values): Promise<void> {
  const t = await outboxTarget(values);
  if (!t) return;
  const { loadMigrations, migrate, renderMigration } = await import('./consumers/postgres-outbox/migrate.js');
  const { describeError } = await import('./consumers/postgres-outbox/pg-config.js');
  try {
    if (values.print) {
      process.stdout.write(`-- Tributary outbox migrations for table ${t.table}\n\n`);
      for (const m of loadMigrations()) process.stdout.write(`-- ${String(m.version).padStart(4, '0')}_${m.name}\n${renderMigration(m.sql, t)}\n`);
      return;
    }
    const r = await migrate(t.dsn, t);
    for (const m of r.applied) process.stdout.write(`applied ${String(m.version).padStart(4, '0')}_${m.name} to ${t.table}\n`);
    if (r.applied.length === 0) process.stdout.write(`${t.table} is up to date (${r.skipped.length} migrations applied before)\n`);
  } catch (err) {
    fail(`migrate failed: ${describeError(err)}`);
  }
}

async function runOutboxStatus(values: Values): Promise<void> {
  const t = await outboxTarget(values);
  if (!t) return;
  const { formatStatus, outboxStatus } = await import('./consumers/postgres-outbox/status.js');
  const { describeError } = await import('./consumers/postgres-outbox/pg-config.js');
  try {
    const status = await outboxStatus(t.dsn, t.table, t.deadLetterTable);
    process.stdout.write(values.json ? JSON.stringify(status, null, 2) + '\n' : formatStatus(status));
  } catch (err) {
    fail(`outbox status failed: ${describeError(err)}`);
  }
}

function print(text: string): void {
  process.stdout.write(text);
}

function fail(message: string): void {
  process.stderr.write(message.endsWith('\n') ? message : message + '\n');
  process.exitCode = 1;
}
