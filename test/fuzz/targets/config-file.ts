// Config files as `tributary serve --config` reads them: the text parsed as
// JSON or YAML by the file's name (parseConfigText), then loaded against the
// schema (loadConfig). Anything wrong with a file is a ConfigError listing
// its problems; nothing else may escape.

import { ConfigError } from '../../../src/config/errors.js';
import { parseConfigText } from '../../../src/config/file.js';
import { loadConfig } from '../../../src/config/load.js';
import { jsonSeed, seed, type FuzzTarget } from '../target.js';

const FULL = {
  http_server: { port: 8000, address: '127.0.0.1', tls: { enabled: false } },
  log: { level: 'info' },
  client: { token: { hmac_secret_key: 'secret' }, allowed_origins: ['http://localhost:3000'], connection_limit: 100 },
  channel: {
    without_namespace: { presence: true, history_size: 10, history_ttl: '300s' },
    namespaces: [{ name: 'chat', join_leave: true, force_recovery: true, history_size: 100, history_ttl: '1h', allowed_delta_types: ['fossil'] }],
  },
  http_api: { key: 'k', error_mode: 'transport' },
  grpc_api: { enabled: true, key: 'k', port: 10000, max_receive_message_size: 65536 },
  engine: { type: 'redis', redis: { address: ['redis://127.0.0.1:6379'], prefix: 'p' } },
  proxies: [{ name: 'p1', endpoint: 'http://127.0.0.1:3000/connect', timeout: '1s', http_headers: ['Authorization'] }],
  client_proxy: { connect: { enabled: true, proxy_name: 'p1' } },
  consumers: [{ name: 'outbox', type: 'postgresql', postgresql: { dsn: 'postgres://u@h/db', outbox_table_name: 'outbox', num_partitions: 2 } }],
};

const YAML = `
http_server:
  port: 8000
defaults: &defaults
  presence: true
  history_size: 10
  history_ttl: 300s
channel:
  without_namespace:
    <<: *defaults
  namespaces:
    - name: chat
      <<: *defaults
broker:
  enabled: true
  type: nats
  nats: { url: "nats://127.0.0.1:4222", prefix: centrifugo }
`;

export const configFile: FuzzTarget = {
  name: 'config-file',
  description: 'config files, JSON and YAML (parseConfigText + loadConfig)',
  format: 'json',
  variants: ['config.json', 'config.yaml', 'config'],
  seeds: [
    jsonSeed(FULL, 'config.json'),
    jsonSeed({ engine: { type: 'memory' }, admin: { enabled: true, password: 'p', secret: 's' } }, 'config'),
    seed(YAML, 'config.yaml'),
  ],
  run({ variant, data }) {
    // The YAML parser warns through process.emitWarning (an odd anchor, say): right for an operator, noise for a million inputs.
    const emitWarning = process.emitWarning;
    process.emitWarning = () => undefined;
    try {
      const raw = parseConfigText(data.toString('utf8'), variant);
      loadConfig({ raw, file: '', env: {}, flags: {} });
    } finally {
      process.emitWarning = emitWarning;
    }
  },
  expected: (err) => err instanceof ConfigError,
  weight: 10, // a load checks the whole schema: about a millisecond
};
