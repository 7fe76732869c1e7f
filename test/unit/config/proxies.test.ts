// The proxy options: Centrifugo v6's layout loads, and what Centrifugo's
// validation refuses is refused here too, naming the key.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/load.js';
import { tempFile } from './helpers.js';

const load = (content: object, env: Record<string, string> = {}) => loadConfig({ file: tempFile('c.json', content), env });

function problems(content: object): string {
  try {
    load(content);
  } catch (err) {
    return (err as Error).message;
  }
  return '';
}

describe('proxy options', () => {
  it('loads the v6 layout, named proxies included, with Centrifugo’s defaults', () => {
    const { config, warnings } = load({
      client: { proxy: { connect: { enabled: true, endpoint: 'http://app/connect', http_headers: ['Authorization'] } } },
      channel: {
        proxy: { subscribe: { endpoint: 'grpc://app:9000' } },
        namespaces: [{ name: 'chat', subscribe_proxy_enabled: true, publish_proxy_enabled: true, publish_proxy_name: 'pub2' }],
      },
      rpc: { without_namespace: { proxy_enabled: true, proxy_name: 'rpc2' }, ping: { enabled: true } },
      proxies: [
        { name: 'pub2', endpoint: 'http://app/publish', timeout: '2s', http: { static_headers: { 'X-Static': 's' } } },
        { name: 'rpc2', endpoint: 'http://app/rpc' },
      ],
    });
    assert.deepEqual(warnings, []);
    assert.equal(config.client.proxy.connect.timeout, 1000);
    assert.deepEqual(config.client.proxy.connect.http_headers, ['Authorization']);
    assert.equal(config.proxies[0]!.timeout, 2000);
    assert.deepEqual(config.proxies[0]!.http.static_headers, { 'X-Static': 's' });
    assert.equal(config.channel.namespaces[0]!.subscribe_proxy_name, 'default');
    assert.equal(config.rpc.ping.method, 'ping');
  });

  it('reads a zero timeout as the default, as Centrifugo does', () => {
    assert.equal(load({ proxies: [{ name: 'z0', endpoint: 'http://x', timeout: '0s' }] }).config.proxies[0]!.timeout, 1000);
  });

  it('takes maps from the environment as JSON, as Centrifugo does', () => {
    const { config } = load({}, { CENTRIFUGO_CLIENT_PROXY_CONNECT_HTTP_STATIC_HEADERS: '{"X-Custom":"v"}' });
    assert.deepEqual(config.client.proxy.connect.http.static_headers, { 'X-Custom': 'v' });
  });

  it('refuses what Centrifugo refuses', () => {
    const on = { enabled: true };
    assert.match(problems({ client: { proxy: { connect: on } } }), /client\.proxy\.connect\.endpoint: endpoint is required/);
    assert.match(problems({ channel: { without_namespace: { subscribe_proxy_enabled: true } } }), /channel\.proxy\.subscribe\.endpoint: endpoint is required/);
    assert.match(
      problems({ channel: { namespaces: [{ name: 'chat', publish_proxy_name: 'nope' }] } }),
      /publish_proxy_name: proxy "nope" is not defined in proxies/,
    );
    assert.match(problems({ rpc: { namespaces: [{ name: 'billing', proxy_name: 'nope' }] } }), /rpc\.namespaces\[0\]\.proxy_name: proxy "nope" is not defined/);
    assert.match(problems({ proxies: [{ name: 'default', endpoint: 'http://x' }] }), /"default" is reserved/);
    assert.match(
      problems({
        proxies: [
          { name: 'a1', endpoint: 'http://x' },
          { name: 'a1', endpoint: 'http://y' },
        ],
      }),
      /proxies\[1\]\.name: "a1" is already used by proxies\[0\]/,
    );
    assert.match(problems({ proxies: [{ name: 'x', endpoint: 'http://x' }] }), /must match/);
    assert.match(
      problems({ proxies: [{ name: 'st', endpoint: 'http://x', http: { status_to_code_transforms: [{ status_code: 403 }] } }] }),
      /exactly one of to_error\.code and to_disconnect\.code must be set/,
    );
    assert.match(
      problems({ proxies: [{ name: 'gr', endpoint: 'grpc://x:1', http: { status_to_code_transforms: [{ status_code: 403, to_error: { code: 403 } }] } }] }),
      /applies to HTTP proxies only/,
    );
  });

  it('starts with a default RPC block without an endpoint, as Centrifugo does (its calls then fail)', () => {
    assert.equal(problems({ rpc: { without_namespace: { proxy_enabled: true } } }), '');
  });
});
