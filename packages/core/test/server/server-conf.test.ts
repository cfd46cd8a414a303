/**
 * ServerConf from YAML: Pingora's defaults, every key, and errors that name
 * the key and its line; app settings read from the same file with their own
 * schema.
 */
import { ErrorType, PingoraError } from '@pingora-ts/error';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ConfigSource,
  configField,
  DEFAULT_SERVER_CONF,
  DEFAULT_TIMEOUT_CONF,
  defineConfigSchema,
  parseServerConf,
  serverConfWith,
} from '../../src/index.ts';

function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(PingoraError.is(err)).toBe(true);
    expect((err as PingoraError).type).toBe(ErrorType.ConfigError);
    return (err as PingoraError).context ?? '';
  }
  throw new Error('expected a ConfigError');
}

describe('ServerConf', () => {
  it("has Pingora's defaults", () => {
    expect(DEFAULT_SERVER_CONF).toMatchObject({
      version: 1,
      daemon: false,
      pidFile: '/tmp/pingora.pid',
      upgradeSock: '/tmp/pingora_upgrade.sock',
      threads: 1,
      workStealing: true,
      gracePeriodSeconds: 300,
      gracefulShutdownTimeoutSeconds: 5,
      upstreamKeepalivePoolSize: 128,
      maxRetries: 16,
      daemonWaitForReady: false,
      daemonReadyTimeoutSeconds: 600,
      clientBindToIpv4: [],
      clientBindToIpv6: [],
    });
    expect(parseServerConf('')).toEqual(DEFAULT_SERVER_CONF);
    expect(parseServerConf('---\nversion: 1\n')).toEqual(DEFAULT_SERVER_CONF);
  });

  it('reads every key into its camelCase field', () => {
    const conf = parseServerConf(`---
version: 1
daemon: true
error_log: /var/log/p.log
pid_file: /run/p.pid
upgrade_sock: /run/p.sock
user: nobody
group: nogroup
working_directory: /srv
threads: 4
work_stealing: false
ca_file: /etc/ca.pem
upstream_debug_ssl_keylog: true
grace_period_seconds: 30
graceful_shutdown_timeout_seconds: 2.5
upstream_keepalive_pool_size: 64
client_bind_to_ipv4: [10.0.0.1, 10.0.0.2]
client_bind_to_ipv6: ["::1"]
max_retries: 3
daemon_wait_for_ready: true
daemon_ready_timeout_seconds: 20
my_app_key: kept for the app
`);
    expect(conf).toEqual({
      version: 1,
      daemon: true,
      errorLog: '/var/log/p.log',
      pidFile: '/run/p.pid',
      upgradeSock: '/run/p.sock',
      user: 'nobody',
      group: 'nogroup',
      workingDirectory: '/srv',
      threads: 4,
      workStealing: false,
      caFile: '/etc/ca.pem',
      upstreamDebugSslKeylog: true,
      gracePeriodSeconds: 30,
      gracefulShutdownTimeoutSeconds: 2.5,
      upstreamKeepalivePoolSize: 64,
      clientBindToIpv4: ['10.0.0.1', '10.0.0.2'],
      clientBindToIpv6: ['::1'],
      maxRetries: 3,
      daemonWaitForReady: true,
      daemonReadyTimeoutSeconds: 20,
      // The timeout keys (timeout-conf.test.ts) keep their defaults here.
      ...DEFAULT_TIMEOUT_CONF,
    });
    expect(Object.isFrozen(conf)).toBe(true);
  });

  it('names the key, file, line and column of a wrong value', () => {
    expect(configError(() => parseServerConf('version: 1\nthreads: "4"\n', 'c.yaml'))).toBe(
      'c.yaml:2:10: threads: expected an integer from 1 to 1024, got the string "4"',
    );
    expect(configError(() => parseServerConf('daemon: yes\n', 'c.yaml'))).toBe(
      'c.yaml:1:9: daemon: expected true or false, got the string "yes"',
    );
    expect(
      configError(() => parseServerConf('client_bind_to_ipv4:\n  - 10.0.0.1\n  - ::1\n', 'c.yaml')),
    ).toBe('c.yaml:3:5: client_bind_to_ipv4[1]: "::1" is not an IPv4 address');
    expect(configError(() => parseServerConf('max_retries: -1\n', 'c.yaml'))).toMatch(
      /^c\.yaml:1:14: max_retries: expected an integer from 0 to 1000, got number -1$/,
    );
    expect(configError(() => parseServerConf('pid_file: [a]\n', 'c.yaml'))).toMatch(
      /^c\.yaml:1:11: pid_file: expected a string, got a list$/,
    );
  });

  it('refuses an unknown version, YAML syntax errors, duplicate keys and a non-mapping root', () => {
    expect(configError(() => parseServerConf('version: 2\n', 'c.yaml'))).toBe(
      'c.yaml:1:10: version: unknown version 2 (this build reads version 1)',
    );
    expect(configError(() => parseServerConf('threads: [1\n', 'c.yaml'))).toMatch(
      /^c\.yaml:\d+:\d+: invalid YAML/,
    );
    expect(configError(() => parseServerConf('threads: 1\nthreads: 2\n', 'c.yaml'))).toMatch(
      /^c\.yaml:2:1: invalid YAML \(DUPLICATE_KEY\)/,
    );
    expect(configError(() => parseServerConf('- a\n- b\n', 'c.yaml'))).toMatch(
      /^c\.yaml:1:1: \(root\): the configuration must be a mapping/,
    );
  });

  it('follows YAML aliases', () => {
    const conf = parseServerConf('x: &n 7\nmax_retries: *n\n');
    expect(conf.maxRetries).toBe(7);
  });

  it('property: any in-range integer round-trips, any out-of-range one names the key', () => {
    fc.assert(
      fc.property(fc.integer({ min: -5000, max: 5000 }), (n) => {
        const text = `threads: ${n}\n`;
        if (n >= 1 && n <= 1024) {
          expect(parseServerConf(text).threads).toBe(n);
        } else {
          expect(configError(() => parseServerConf(text, 'p.yaml'))).toMatch(
            /^p\.yaml:1:10: threads: /,
          );
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('ConfigSchema for app settings', () => {
  const schema = defineConfigSchema({
    listen: configField.stringList({ required: true }),
    name: configField.string({ default: 'app' }),
    retries: configField.integer({ min: 0, max: 9 }),
    verbose: configField.boolean({ default: false }),
    limits: configField.object(
      defineConfigSchema({ rps: configField.number({ default: 100, min: 1 }) }),
    ),
  });

  it('reads a section with defaults and nested mappings', () => {
    const source = ConfigSource.parse(
      'version: 1\nmy_app:\n  listen: [a, b]\n  limits:\n    rps: 5.5\n',
    );
    expect(schema.read(source, 'my_app')).toEqual({
      listen: ['a', 'b'],
      name: 'app',
      retries: undefined,
      verbose: false,
      limits: { rps: 5.5 },
    });
  });

  it('refuses unknown keys in a section (typos) and names the missing required key', () => {
    const typo = ConfigSource.parse('my_app:\n  listen: [a]\n  retires: 3\n', 'c.yaml');
    expect(configError(() => schema.read(typo, 'my_app'))).toMatch(
      /^c\.yaml:3:3: my_app\.retires: unknown key \(did you mean "retries"\? expected one of: listen, name, retries, verbose, limits\)$/,
    );
    const missing = ConfigSource.parse('version: 1\nmy_app:\n  name: x\n', 'c.yaml');
    expect(configError(() => schema.read(missing, 'my_app'))).toBe(
      'c.yaml:3:3: my_app.listen: required key is missing',
    );
    const nested = ConfigSource.parse('my_app:\n  listen: []\n  limits:\n    rps: 0\n', 'c.yaml');
    expect(configError(() => schema.read(nested, 'my_app'))).toMatch(
      /^c\.yaml:4:10: my_app\.limits\.rps: expected a number >= 1/,
    );
    const notMap = ConfigSource.parse('my_app: 3\n', 'c.yaml');
    expect(configError(() => schema.read(notMap, 'my_app'))).toBe(
      'c.yaml:1:9: my_app: expected a mapping, got number 3',
    );
  });
});

describe('serverConfWith (configuration from code)', () => {
  it('fills defaults and checks values by the file rules, naming the YAML key', () => {
    expect(serverConfWith({ maxRetries: 3 })).toEqual({ ...DEFAULT_SERVER_CONF, maxRetries: 3 });
    expect(configError(() => serverConfWith({ gracePeriodSeconds: -1 }))).toMatch(
      /^configuration from code:1:\d+: grace_period_seconds: expected a number from 0 to 86400, got number -1$/,
    );
    expect(configError(() => serverConfWith({ clientBindToIpv6: ['1.2.3.4'] }))).toMatch(
      /client_bind_to_ipv6\[0\]: "1\.2\.3\.4" is not an IPv6 address/,
    );
    expect(configError(() => serverConfWith({ nope: 1 } as never))).toBe(
      'configuration from code: unknown setting "nope"',
    );
  });
});

describe('configField.addressList', () => {
  const schema = defineConfigSchema({
    listen: configField.addressList({ default: ['127.0.0.1:80'] }),
  });

  it('accepts TCP and Unix addresses and names a bad item with its line', () => {
    const ok = ConfigSource.parse(
      'app:\n  listen: ["0.0.0.0:80", "[::]:443", "unix:/run/a.sock"]\n',
    );
    expect(schema.read(ok, 'app').listen).toEqual(['0.0.0.0:80', '[::]:443', 'unix:/run/a.sock']);
    expect(schema.read(ConfigSource.parse(''), 'app').listen).toEqual(['127.0.0.1:80']);
    const bad = ConfigSource.parse(
      'app:\n  listen:\n    - 0.0.0.0:80\n    - localhost:80\n',
      'c.yaml',
    );
    expect(configError(() => schema.read(bad, 'app'))).toBe(
      'c.yaml:4:7: app.listen[1]: "localhost:80" is not "ip:port", "[ipv6]:port" or "unix:/path"',
    );
  });
});
