/**
 * TLS and auth from YAML against a real redis-server: a password-protected
 * server and a TLS-only one (self-signed, trusted through `tls.ca_file`)
 * are reached with the settings read from the `redis:` mapping; a wrong
 * password or an untrusted certificate never connects, and commands then
 * fail fast with a PingoraError (the cache and limiter fall back).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigSource } from '@pingora-ts/core';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisServer } from '../../../tooling/test-redis.ts';
import { selfSignedCert } from '../../../tooling/test-tls-cert.ts';
import { NodeRedisClient } from '../src/node-redis-client.ts';
import { redisClientOptions, redisConfigSchema } from '../src/redis-config.ts';

const dir = mkdtempSync(join(tmpdir(), 'redis-tls-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function clientFrom(yaml: string): NodeRedisClient {
  const config = redisConfigSchema.read(
    ConfigSource.parse(`redis:\n${yaml}`, 'conf.yaml'),
    'redis',
  );
  return new NodeRedisClient(redisClientOptions(config, 'test'));
}

describe('Redis TLS and auth from YAML', () => {
  it('a password from YAML opens a protected server; a wrong one does not', async () => {
    await using server = await RedisServer.start({ args: ['--requirepass', 's3cret pass'] });
    const good = clientFrom(`  port: ${server.port}\n  password: "s3cret pass"\n`);
    const bad = clientFrom(`  port: ${server.port}\n  password: wrong\n  reconnect_max_ms: 100\n`);
    try {
      expect(await good.connect(3000)).toBe(true);
      expect(await good.send(['SET', 'k', 'v'])).toBe('OK');
      expect(String(await good.send(['GET', 'k']))).toBe('v');
      expect(await bad.connect(500)).toBe(false);
      await expect(bad.send(['GET', 'k'])).rejects.toMatchObject({ type: 'ConnectError' });
    } finally {
      await Promise.all([good.close(), bad.close()]);
    }
  });

  it('TLS with the CA from tls.ca_file and the server name checked; an untrusted certificate is refused', async () => {
    const { key, cert } = selfSignedCert('redis.test');
    const certFile = join(dir, 'cert.pem');
    const keyFile = join(dir, 'key.pem');
    writeFileSync(certFile, cert);
    writeFileSync(keyFile, key);
    await using server = await RedisServer.start({ tls: { certFile, keyFile } });
    const tls = (extra: string) =>
      clientFrom(
        `  port: ${server.port}\n  reconnect_max_ms: 100\n  tls:\n    enabled: true\n${extra}`,
      );
    const trusted = tls(`    ca_file: ${certFile}\n    servername: redis.test\n`);
    const untrusted = tls('    servername: redis.test\n');
    const wrongName = tls(`    ca_file: ${certFile}\n    servername: other.test\n`);
    try {
      expect(await trusted.connect(3000)).toBe(true);
      expect(await trusted.send(['PING'])).toBe('PONG');
      expect(await untrusted.connect(500)).toBe(false);
      expect(await wrongName.connect(500)).toBe(false);
      await expect(untrusted.send(['PING'])).rejects.toMatchObject({ type: 'ConnectError' });
    } finally {
      await Promise.all([trusted.close(), untrusted.close(), wrongName.close()]);
    }
  });
});
