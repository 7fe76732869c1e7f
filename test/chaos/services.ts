// The chaos run's own PostgreSQL, Redis, Kafka and NATS, on a port block of
// their own: the scenarios stop, freeze and restart them, and the shared
// development instances on the default ports (PostgreSQL 55432, Redis
// 16379/16380, Kafka 19092, NATS 14222) serve other people's tests and
// benchmarks meanwhile, so they are never touched. Every instance is started
// and stopped with the project's scripts in scripts/services/; their settings
// go to the scripts only (never to process.env, which the Tributary processes
// inherit and would read as server config).

import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { uniqueName } from './nodes.js';

export const root = fileURLToPath(new URL('../..', import.meta.url));

// All below Linux's ephemeral range (32768-60999): a restart must get its port
// back, and there a client socket of another program can hold it for a while
// (a chaos PostgreSQL on 55442 once failed to start again for that reason).
export const CHAOS_PORTS = { postgres: 25442, redis: 16391, kafka: 19192, kafkaController: 19193, nats: 14232 } as const;
/** The shared instances: a chaos port that collides with one of these is refused outright. */
const SHARED_PORTS = new Set([55432, 55433, 16379, 16380, 16381, 16382, 19092, 19093, 14222, 14223]);
for (const port of Object.values(CHAOS_PORTS)) if (SHARED_PORTS.has(port)) throw new Error(`chaos port ${port} belongs to a shared service`);

export type ServiceName = 'postgres' | 'redis' | 'kafka' | 'nats';

const PG_DATA = join(root, '.cache/postgres-chaos');
const REDIS_DIR = join(root, `.cache/redis-${CHAOS_PORTS.redis}`);

/** The script and its environment for one service (the ports travel as arguments or script-only variables). */
function invocation(service: ServiceName, command: 'ensure' | 'stop'): { args: string[]; env: NodeJS.ProcessEnv } {
  const env = { ...process.env };
  switch (service) {
    case 'postgres':
      return { args: ['scripts/services/postgres.sh', command], env: { ...env, TRIBUTARY_PG_PORT: String(CHAOS_PORTS.postgres), TRIBUTARY_PG_DATA: PG_DATA } };
    case 'redis':
      return { args: ['scripts/services/redis.sh', command, String(CHAOS_PORTS.redis)], env };
    case 'nats':
      return { args: ['scripts/services/nats.sh', command, String(CHAOS_PORTS.nats)], env };
    case 'kafka':
      return {
        args: ['scripts/services/kafka.sh', command],
        env: { ...env, TRIBUTARY_KAFKA_PORT: String(CHAOS_PORTS.kafka), TRIBUTARY_KAFKA_CONTROLLER_PORT: String(CHAOS_PORTS.kafkaController) },
      };
  }
}

/**
 * Runs the script without blocking: the scenario's producers, subscribers and
 * health probes keep going while a service stops or starts (a spawnSync would
 * freeze them for as long as Kafka takes to start).
 */
function run(service: ServiceName, command: 'ensure' | 'stop'): Promise<string> {
  const { args, env } = invocation(service, command);
  return new Promise((resolve, reject) => {
    const child = spawn('bash', args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out.trim().split('\n').pop() ?? '');
      else reject(new Error(`${args.join(' ')} failed (${code}):\n${err}`));
    });
  });
}

/** Starts the chaos instance of `service` unless it runs; its address (DSN, URL or host:port). */
export function ensureService(service: ServiceName): Promise<string> {
  return run(service, 'ensure');
}

export async function stopService(service: ServiceName): Promise<void> {
  await run(service, 'stop');
}

/** SHUTDOWN SAVE: Redis goes away as one with persistence does, and the next start loads what it had. */
export function stopRedisKeepingData(): void {
  spawnSync('redis-cli', ['-p', String(CHAOS_PORTS.redis), 'shutdown', 'save'], { encoding: 'utf8', timeout: 10_000 });
}

/** The saved data of stopRedisKeepingData, removed once loaded so that a later start begins empty. */
export function forgetRedisDump(): void {
  rmSync(join(REDIS_DIR, 'dump.rdb'), { force: true });
}

/** Empties the chaos Redis (it is ours alone) so that a run starts from nothing. */
export function flushChaosRedis(): void {
  spawnSync('redis-cli', ['-p', String(CHAOS_PORTS.redis), 'flushall'], { encoding: 'utf8', timeout: 10_000 });
}

function redisPid(): number {
  const pid = Number(readFileSync(join(REDIS_DIR, 'redis.pid'), 'utf8').trim());
  const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  if (!cmdline.includes(`:${CHAOS_PORTS.redis}`)) throw new Error(`pid ${pid} is not the chaos redis-server (${cmdline})`);
  return pid;
}

let frozen: number | null = null;

/** SIGSTOP to the chaos redis-server: connections stay open, nothing is answered. */
export function freezeRedis(): void {
  frozen = redisPid();
  process.kill(frozen, 'SIGSTOP');
}

export function thawRedis(): void {
  if (frozen === null) return;
  process.kill(frozen, 'SIGCONT');
  frozen = null;
}

// A run that dies with Redis stopped must not leave it frozen.
process.on('exit', thawRedis);

/** What a consumer scenario on the Redis engine starts from. */
export interface ConsumerSetup {
  /** The source's address: the PostgreSQL DSN or the Kafka brokers. */
  source: string;
  redis: string;
  /** A fresh channel prefix; channel p is `${prefix}${p}`, one per partition. */
  prefix: string;
  channels: string[];
}

/** A consumer scenario's common start: its source and the chaos Redis up, Redis emptied, one fresh channel per partition. */
export async function consumerSetup(source: 'postgres' | 'kafka', tag: string, partitions: number): Promise<ConsumerSetup> {
  const address = await ensureService(source);
  const redis = await ensureService('redis');
  flushChaosRedis();
  const prefix = `${uniqueName(tag)}-`;
  return { source: address, redis, prefix, channels: Array.from({ length: partitions }, (_, p) => `${prefix}${p}`) };
}
