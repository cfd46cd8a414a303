/**
 * The `load_balancer` settings: upstreams as a list (with `weight=N`) or a
 * mapping, defaults (round robin, TCP checks every second), the older
 * interval key bench/proxy writes, and ConfigErrors naming the key and line
 * of each bad value, including rules that span keys.
 */
import { ConfigSource } from '@pingora-ts/core';
import { ErrorType, PingoraError } from '@pingora-ts/error';
import { expect, it } from 'vitest';
import { type LbConfig, lbConfigSchema } from '../src/config.ts';
import { HashSource } from '../src/selection.ts';

function read(section: string): LbConfig {
  return lbConfigSchema.read(
    ConfigSource.parse(`version: 1\nload_balancer:\n${section}`, 'conf.yaml'),
    'load_balancer',
  );
}

function refused(section: string): string {
  try {
    read(section);
  } catch (err) {
    expect(PingoraError.is(err) && err.type === ErrorType.ConfigError).toBe(true);
    return (err as PingoraError).message;
  }
  throw new TypeError('expected a ConfigError');
}

it('defaults: no upstreams, round robin, a TCP check every second, thresholds 1', () => {
  const c = read('  listen: ["127.0.0.1:0"]\n');
  expect(c.upstreams).toEqual([]);
  expect(c.selection).toBe('round_robin');
  expect(c.hashKey.source).toBe(HashSource.None);
  expect(c.healthCheck).toEqual({
    type: 'tcp',
    path: '/',
    host: 'localhost',
    expectedStatus: 200,
    intervalMs: 1000,
    timeoutMs: 1000,
    healthyThreshold: 1,
    unhealthyThreshold: 1,
  });
});

it('reads upstreams as a list with weights or as a mapping of address to weight', () => {
  const list = read('  upstreams:\n    - 127.0.0.1:8000\n    - "[::1]:8001 weight=3"\n');
  expect(list.upstreams.map((b) => [b.addr, b.weight])).toEqual([
    ['127.0.0.1:8000', 1],
    ['[::1]:8001', 3],
  ]);
  const map = read('  upstreams:\n    127.0.0.1:8000: 2\n    "10.0.0.1:80": 65535\n');
  expect(map.upstreams.map((b) => [b.addr, b.weight])).toEqual([
    ['127.0.0.1:8000', 2],
    ['10.0.0.1:80', 65535],
  ]);
});

it('reads selection, hash_key and an http health check', () => {
  const c = read(
    [
      '  selection: ketama',
      '  hash_key: header:X-User-Id',
      '  health_check:',
      '    type: http',
      '    path: /healthz',
      '    host: origin.test',
      '    expected_status: 204',
      '    interval_ms: 250',
      '    timeout_ms: 400',
      '    healthy_threshold: 2',
      '    unhealthy_threshold: 3',
      '',
    ].join('\n'),
  );
  expect(c.selection).toBe('ketama');
  expect(c.hashKey).toEqual({ source: HashSource.Header, header: 'x-user-id' });
  expect(c.healthCheck).toEqual({
    type: 'http',
    path: '/healthz',
    host: 'origin.test',
    expectedStatus: 204,
    intervalMs: 250,
    timeoutMs: 400,
    healthyThreshold: 2,
    unhealthyThreshold: 3,
  });
  expect(read('  selection: fnv\n').hashKey.source).toBe(HashSource.ClientIp);
  expect(read('  selection: fnv\n  hash_key: path\n').hashKey.source).toBe(HashSource.Path);
});

it('still takes health_check_interval_seconds, as bench/proxy writes it (JSON)', () => {
  const json = JSON.stringify({
    version: 1,
    load_balancer: {
      listen: ['127.0.0.1:0'],
      upstreams: ['127.0.0.1:9000'],
      health_check_interval_seconds: 3600,
    },
  });
  const c = lbConfigSchema.read(ConfigSource.parse(json, 'bench.json'), 'load_balancer');
  expect(c.healthCheck.intervalMs).toBe(3_600_000);
  expect(c.upstreams.map((b) => b.addr)).toEqual(['127.0.0.1:9000']);
});

it.each([
  [
    '  upstreams: ["127.0.0.1:80", "nope"]\n',
    /conf\.yaml:3:31: load_balancer\.upstreams\[1\]: .*"nope"/,
  ],
  [
    '  upstreams:\n    - 127.0.0.1:80 weight=0\n',
    /conf\.yaml:4:7: load_balancer\.upstreams\[0\]: weight/,
  ],
  [
    '  upstreams:\n    - 127.0.0.1:80 wieght=2\n',
    /:4:7: load_balancer\.upstreams\[0\]: expected "ip:port"/,
  ],
  [
    '  upstreams:\n    - 127.0.0.1:80\n    - 127.0.0.1:80\n',
    /:5:7: load_balancer\.upstreams\[1\]: 127\.0\.0\.1:80 is already listed/,
  ],
  [
    '  upstreams:\n    - localhost:80\n',
    /:4:7: load_balancer\.upstreams\[0\]: "localhost:80" is not "ip:port"/,
  ],
  ['  upstreams:\n    - [1, 2]\n', /:4:7: load_balancer\.upstreams\[0\]: expected/],
  [
    '  upstreams:\n    127.0.0.1:80: 1.5\n',
    /:4:19: load_balancer\.upstreams\["127\.0\.0\.1:80"\]: weight/,
  ],
  [
    '  upstreams:\n    127.0.0.1:80: x\n',
    /:4:19: load_balancer\.upstreams\["127\.0\.0\.1:80"\]: expected a weight/,
  ],
  [
    '  upstreams:\n    host:80: 1\n',
    /:4:5: load_balancer\.upstreams\["host:80"\]: "host:80" is not/,
  ],
  ['  upstreams: 127.0.0.1:80\n', /:3:14: load_balancer\.upstreams: expected a list/],
  [
    '  selection: fastest\n',
    /:3:14: load_balancer\.selection: expected one of round_robin, weighted/,
  ],
  ['  hash_key: path\n', /:3:13: load_balancer\.hash_key: only used by selection fnv or ketama/],
  ['  selection: fnv\n  hash_key: cookie\n', /:4:13: load_balancer\.hash_key: expected client_ip/],
  [
    '  selection: fnv\n  hash_key: "header:a b"\n',
    /load_balancer\.hash_key: "a b" is not a header name/,
  ],
  [
    '  health_check:\n    type: udp\n',
    /:4:11: load_balancer\.health_check\.type: expected tcp or http/,
  ],
  [
    '  health_check:\n    path: /health\n',
    /:4:11: load_balancer\.health_check\.path: only used by type: http/,
  ],
  [
    '  health_check:\n    type: http\n    path: health\n',
    /:5:11: load_balancer\.health_check\.path: expected a path/,
  ],
  [
    '  health_check:\n    interval_ms: 0\n',
    /load_balancer\.health_check\.interval_ms: expected an integer from 10/,
  ],
  [
    '  health_check:\n    healthy_treshold: 2\n',
    /load_balancer\.health_check\.healthy_treshold: unknown key/,
  ],
  [
    '  health_check_interval_seconds: 2\n  health_check:\n    interval_ms: 100\n',
    /:3:34: load_balancer\.health_check_interval_seconds: give health_check\.interval_ms only/,
  ],
  [
    '  selection: ketama\n  upstreams: ["127.0.0.1:1 weight=65535", "127.0.0.1:2 weight=65535"]\n',
    /:4:14: load_balancer\.upstreams: selection ketama cannot use these upstreams/,
  ],
])('refuses %j with the key and line', (section, message) => {
  expect(refused(section)).toMatch(message);
});
