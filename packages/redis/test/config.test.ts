import { ConfigSource } from '@pingora-ts/core';
import { describe, expect, it } from 'vitest';
import { redisClientOptions, redisConfigSchema } from '../src/redis-config.ts';

const read = (yaml: string) =>
  redisConfigSchema.read(ConfigSource.parse(`redis:\n${yaml}`, 'conf.yaml'), 'redis');

describe('redis config', () => {
  it('reads every key with defaults', () => {
    const c = read('  host: 10.0.0.5\n  port: 6380\n  password: s3cret\n  db: 2\n');
    expect(c).toMatchObject({ host: '10.0.0.5', port: 6380, password: 's3cret', db: 2 });
    expect(c.commandTimeoutMs).toBe(500);
    expect([c.failFastAfterTimeouts, c.failFastMs]).toEqual([3, 500]);
    expect(c.tls.enabled).toBe(false);
    const o = redisClientOptions(c);
    expect(o).toMatchObject({
      host: '10.0.0.5',
      port: 6380,
      tls: false,
      reconnectMaxMs: 500,
      failFastAfterTimeouts: 3,
      failFastMs: 500,
    });
  });

  it('names the key and line of a bad value', () => {
    expect(() => read('  host: h\n  command_timeout_ms: 0\n')).toThrow(
      /conf.yaml:3:.*redis.command_timeout_ms/,
    );
    expect(() => read('  prot: 1\n')).toThrow(/prot/);
  });

  it('says which TLS file cannot be read, at config time (so -t finds it)', () => {
    expect(() => read('  tls:\n    enabled: true\n    ca_file: /nonexistent/ca.pem\n')).toThrow(
      /conf.yaml:4:.*redis\.tls\.ca_file: cannot read \/nonexistent\/ca\.pem/,
    );
  });
});
