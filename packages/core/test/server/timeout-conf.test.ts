/**
 * The timeout keys of the server YAML: today's values as defaults, every
 * key read into the options of the sessions, connector and proxy, and a
 * wrong value refused with its key and line, by `-t` as well.
 */
import { ErrorType, PingoraError } from '@pingora-ts/error';
import { describe, expect, it, vi } from 'vitest';
import { DEFAULT_UPSTREAM_IO_TIMEOUT_MS } from '../../src/connectors/http-connector.ts';
import { resolveH1ServerOptions } from '../../src/h1.ts';
import {
  DEFAULT_SERVER_CONF,
  h1TimeoutsFromServerConf,
  parseServerConf,
  proxyTimeoutsFromServerConf,
  upstreamTimeoutsFromServerConf,
} from '../../src/index.ts';
import { tempDir } from './utils/child.ts';
import { killChildrenAfterEach, start } from './utils/process-setup.ts';

killChildrenAfterEach();
vi.setConfig({ testTimeout: 45_000 });

const KEYS = [
  'upstream_connect_timeout_seconds',
  'upstream_read_timeout_seconds',
  'upstream_write_timeout_seconds',
  'upstream_idle_timeout_seconds',
  'downstream_header_timeout_seconds',
  'downstream_keepalive_timeout_seconds',
  'downstream_body_read_timeout_seconds',
  'downstream_write_timeout_seconds',
  'upgrade_idle_timeout_seconds',
  'request_timeout_seconds',
];

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

describe('timeout keys', () => {
  it('default to the values the code used before they were settable', () => {
    const h1 = resolveH1ServerOptions();
    expect(h1TimeoutsFromServerConf(DEFAULT_SERVER_CONF)).toEqual({
      headerTimeoutMs: h1.headerTimeoutMs,
      keepaliveTimeoutMs: h1.keepaliveTimeoutMs,
      bodyTimeoutMs: h1.bodyTimeoutMs,
      writeTimeoutMs: h1.writeTimeoutMs,
    });
    expect(h1.headerTimeoutMs).toBe(30_000);
    expect(upstreamTimeoutsFromServerConf(DEFAULT_SERVER_CONF)).toEqual({
      connectTimeoutMs: undefined,
      readTimeoutMs: DEFAULT_UPSTREAM_IO_TIMEOUT_MS,
      writeTimeoutMs: DEFAULT_UPSTREAM_IO_TIMEOUT_MS,
      idleTimeoutMs: undefined,
    });
    expect(proxyTimeoutsFromServerConf(DEFAULT_SERVER_CONF)).toEqual({
      tunnelIdleTimeoutMs: 600_000,
      requestTimeoutMs: undefined,
    });
  });

  it('reads every key (seconds, fractions allowed) into milliseconds', () => {
    const yaml = KEYS.map((k, i) => `${k}: ${(i + 1) / 2}`).join('\n');
    const conf = parseServerConf(`version: 1\n${yaml}\n`);
    expect(upstreamTimeoutsFromServerConf(conf)).toEqual({
      connectTimeoutMs: 500,
      readTimeoutMs: 1000,
      writeTimeoutMs: 1500,
      idleTimeoutMs: 2000,
    });
    expect(h1TimeoutsFromServerConf(conf)).toEqual({
      headerTimeoutMs: 2500,
      keepaliveTimeoutMs: 3000,
      bodyTimeoutMs: 3500,
      writeTimeoutMs: 4000,
    });
    expect(proxyTimeoutsFromServerConf(conf)).toEqual({
      tunnelIdleTimeoutMs: 4500,
      requestTimeoutMs: 5000,
    });
  });

  it.each(KEYS)('refuses a wrong %s with its key and line', (key) => {
    const text = `version: 1\nthreads: 1\n${key}: soon\n`;
    expect(configError(() => parseServerConf(text, 'c.yaml'))).toMatch(
      new RegExp(`^c\\.yaml:3:${key.length + 3}: ${key}: expected a number`),
    );
    // Negative and over a day (a unit mistake) are refused too.
    expect(configError(() => parseServerConf(`${key}: -1\n`, 'c.yaml'))).toMatch(
      new RegExp(`^c\\.yaml:1:\\d+: ${key}: expected a number from`),
    );
    expect(configError(() => parseServerConf(`${key}: 90000\n`, 'c.yaml'))).toMatch(key);
  });

  it('-t refuses a wrong timeout key naming the key and line', async () => {
    using tmp = tempDir();
    const path = tmp.write('bad.yaml', 'version: 1\n\nupstream_read_timeout_seconds: 0\n');
    const child = start(['-t', '-c', path]);
    expect(await child.exited()).toBe(1);
    expect(child.stderr.trim()).toBe(
      `configuration error: ${path}:3:32: upstream_read_timeout_seconds: expected a number from 0.1 to 86400, got number 0`,
    );
  });
});
