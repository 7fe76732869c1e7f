// docker-compose.yml cannot run here (no Docker engine), so this checks that
// it says what the scripts here run: the same Kafka and Debezium versions, a
// PostgreSQL with logical WAL, the outbox migrations, the Debezium connector
// the Kafka tests register, and a Tributary config that loads and consumes
// both the outbox and the topics that connector and producers write.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/load.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const read = (p: string) => readFileSync(join(root, p), 'utf8');
const compose = parse(read('docker-compose.yml')) as { services: Record<string, any>; volumes?: Record<string, unknown> };
const services = compose.services;
const connector = JSON.parse(read('consumers/debezium/cdc-outbox.connector.json')) as Record<string, string>;

function pomProperty(file: string, name: string): string {
  const m = new RegExp(`<${name.replace('.', '\\.')}>([^<]+)</`).exec(read(file));
  assert.ok(m, `${file} has ${name}`);
  return m[1]!;
}

const minor = (v: string) => v.split('.').slice(0, 2).join('.');

/** `host:container` port mappings of a service, as container ports. */
function published(service: string): number[] {
  return (services[service].ports ?? []).map((p: string) => Number(String(p).split(':').pop()));
}

/** Bind mounts `source:target` of a service, sources relative to the repository. */
function mounts(service: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const v of services[service].volumes ?? []) {
    const [source, target] = String(v).split(':');
    if (source!.startsWith('.')) out.set(target!, source!);
  }
  return out;
}

describe('docker-compose.yml', () => {
  it('has every service the issue names, each with a health check or a dependency on one', () => {
    assert.deepEqual(Object.keys(services).sort(), ['connect', 'connect-init', 'kafka', 'postgres', 'redis', 'tributary']);
    for (const name of ['postgres', 'redis', 'kafka', 'connect', 'tributary']) assert.ok(services[name].healthcheck, `${name} health check`);
    assert.deepEqual(Object.keys(services['connect-init'].depends_on).sort(), ['connect', 'tributary']);
  });

  it('publishes the usual ports on the host', () => {
    assert.deepEqual(published('postgres'), [5432]);
    assert.deepEqual(published('redis'), [6379]);
    assert.deepEqual(published('kafka'), [9092]);
    assert.deepEqual(published('connect'), [8083]);
    assert.deepEqual(published('tributary'), [8000]);
  });

  it('runs the Kafka and Debezium versions the scripts fetch from Maven Central', () => {
    const kafkaVersion = pomProperty('scripts/services/kafka/pom.xml', 'kafka.version');
    assert.match(services.kafka.image, /^apache\/kafka:/);
    assert.equal(minor(services.kafka.image.split(':')[1]), minor(kafkaVersion));
    assert.equal(services.kafka.environment.KAFKA_PROCESS_ROLES, 'broker,controller', 'KRaft, no ZooKeeper');
    const debeziumVersion = pomProperty('scripts/services/kafka/debezium-postgres.pom.xml', 'debezium.version');
    assert.match(services.connect.image, /^quay\.io\/debezium\/connect:/);
    assert.equal(minor(services.connect.image.split(':')[1]), minor(debeziumVersion));
  });

  it('PostgreSQL has logical WAL, like scripts/services/postgres.sh', () => {
    assert.ok(services.postgres.command.includes('wal_level=logical'));
    assert.match(read('scripts/services/postgres.sh'), /wal_level\s*=\s*'?logical/);
  });

  it('registers the Debezium connector the tests register, on a table Tributary migrates', () => {
    const m = mounts('connect-init');
    assert.equal(m.get('/connector.json'), './consumers/debezium/cdc-outbox.connector.json');
    assert.ok(services['connect-init'].command.some((a: string) => a.endsWith('/connectors/tributary-cdc-outbox/config')));
    assert.equal(connector['connector.class'], 'io.debezium.connector.postgresql.PostgresConnector');
    assert.equal(connector['plugin.name'], 'pgoutput');
    assert.equal(connector['database.hostname'], 'postgres');
    assert.equal(connector['database.password'], '${env:POSTGRES_PASSWORD}', 'no password in the repository');
    assert.equal(services.connect.environment.CONNECT_CONFIG_PROVIDERS, 'env');
    const table = connector['table.include.list']!.split('.')[1]!;
    assert.match(services.tributary.command.join(' '), new RegExp(`migrate --dsn "\\$\\$DSN" --table ${table}`));
    assert.match(read('test/integration/kafka/debezium.test.ts'), /consumers\/debezium\/cdc-outbox\.connector\.json/);
  });

  it('mounts a Tributary config that loads, and whose consumers read what the others write', () => {
    const m = mounts('tributary');
    const configPath = m.get('/etc/tributary/config.json')!;
    assert.ok(existsSync(join(root, configPath)));
    assert.match(services.tributary.command.join(' '), /serve --config \/etc\/tributary\/config\.json/);
    const env = Object.fromEntries(
      Object.entries(services.tributary.environment as Record<string, string>).map(([k, v]) => [k, v.replace(/\$\{[^}]+\}/g, 'x')]),
    );
    const { config } = loadConfig({ file: join(root, configPath), env });
    assert.equal(config.http_server.port, 8000);
    assert.equal(config.http_api.key, 'x', 'the API key comes from the environment');
    assert.equal(config.client.token.hmac_secret_key, 'x', 'the token key comes from the environment');

    assert.equal(config.engine.type, 'redis');
    assert.ok(config.engine.type === 'redis');
    const redis = config.engine.redis;
    assert.deepEqual(
      redis.shards.map((s) => s.label),
      ['redis://redis:6379'],
    );

    const outbox = config.consumers.find((c) => c.type === 'postgresql')!.postgresql;
    assert.match(outbox.dsn, /@postgres:5432\/tributary$/);
    assert.equal(outbox.outbox_table_name, 'outbox');
    const kafka = config.consumers.find((c) => c.type === 'kafka')!.kafka;
    const internal = services.kafka.environment.KAFKA_ADVERTISED_LISTENERS.split(',').find((l: string) => l.startsWith('INTERNAL://'));
    assert.deepEqual(kafka.brokers, [internal.slice('INTERNAL://'.length)]);
    const cdcTopic = `${connector['topic.prefix']}.${connector['table.include.list']}`;
    assert.ok(kafka.topics.includes(cdcTopic), `consumes ${cdcTopic}`);
  });
});
