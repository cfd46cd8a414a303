/**
 * Unclaimed configuration keys: every top-level key belongs to the server or
 * an app section; anything else fails `-t` and the start with its line and a
 * "did you mean" hint, unless the app opts out.
 */
import { PingoraError } from '@pingora-ts/error';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { configField, defineConfigSchema, Server } from '../../src/index.ts';
import { editDistance, suggestKey } from '../../src/server/config-keys.ts';
import { quietLogger } from './utils/quiet.ts';

const lbSchema = defineConfigSchema({
  listen: configField.stringList({ default: [] }),
  upstreams: configField.stringList({ default: [] }),
  healthCheck: configField.object(
    defineConfigSchema({ intervalMs: configField.integer({ key: 'interval_ms' }) }),
    { key: 'health_check' },
  ),
});

function contextOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (PingoraError.is(err)) return err.context ?? '';
    throw err;
  }
  throw new Error('expected a ConfigError');
}

function serverWith(text: string, init: ConstructorParameters<typeof Server>[0] = {}): Server {
  const server = new Server({ logger: quietLogger, confText: text, ...init });
  server.appConfig(lbSchema, 'load_balancer');
  return server;
}

describe('unclaimed top-level keys', () => {
  it('refuses a key nobody reads, naming its line and the nested key it meant', () => {
    const server = serverWith('version: 1\nload_balancer:\n  listen: []\nupstream:\n  - a\n');
    expect(contextOf(() => server.testConfiguration())).toMatch(
      /^<inline>:4:1: upstream: unknown key \(did you mean "load_balancer\.upstreams"\?\); .*known top-level keys: .*load_balancer/,
    );
    // The start refuses it too, before any service runs.
    expect(() => server.run()).toThrow(/upstream: unknown key/);
    expect(server.running).toBeUndefined();
  });

  it('points a top-level `listen:` at the section that reads it', () => {
    const server = serverWith('listen:\n  - 127.0.0.1:1\n');
    expect(contextOf(() => server.testConfiguration())).toMatch(
      /^<inline>:1:1: listen: unknown key \(did you mean "load_balancer\.listen"\?\)/,
    );
  });

  it('hints server keys and nested keys, and gives no hint for unrelated words', () => {
    expect(contextOf(() => serverWith('max_retires: 3\n').testConfiguration())).toMatch(
      /max_retires: unknown key \(did you mean "max_retries"\?\)/,
    );
    expect(contextOf(() => serverWith('interval_ms: 3\n').testConfiguration())).toMatch(
      /did you mean "load_balancer\.health_check\.interval_ms"\?/,
    );
    expect(contextOf(() => serverWith('zebra: 3\n').testConfiguration())).toMatch(
      /^<inline>:1:1: zebra: unknown key; no setting/,
    );
  });

  it('accepts claimed keys, keys claimed without a schema, and files without a root', () => {
    expect(() => serverWith('version: 1\nload_balancer: {}\n').testConfiguration()).not.toThrow();
    expect(() => serverWith('').testConfiguration()).not.toThrow();
    const shared = serverWith('sentry:\n  dsn: x\n');
    shared.claimConfigKeys('sentry');
    expect(() => shared.testConfiguration()).not.toThrow();
    // A schema read at the root claims its own keys.
    const rootApp = new Server({ logger: quietLogger, confText: 'version: 1\nport: 1\n' });
    rootApp.appConfig(defineConfigSchema({ port: configField.integer() }));
    expect(() => rootApp.testConfiguration()).not.toThrow();
  });

  it('opts out for files shared with other tools', () => {
    const text = 'other_tool:\n  x: 1\n';
    expect(() => serverWith(text, { unclaimedKeys: 'ignore' }).testConfiguration()).not.toThrow();
    const warned: unknown[] = [];
    const logger = quietLogger.child({});
    logger.warn = ((obj: unknown) => {
      warned.push(obj);
    }) as typeof logger.warn;
    const server = new Server({ logger, confText: text, unclaimedKeys: 'warn' });
    expect(() => server.testConfiguration()).not.toThrow();
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({ key: 'other_tool', where: '<inline>:1:1' });
  });
});

describe('suggestKey and editDistance', () => {
  it('matches a reference Levenshtein distance (with swaps) within the cut-off', () => {
    const word = fc.string({ unit: fc.constantFrom('a', 'b', 'c', '_'), maxLength: 8 });
    fc.assert(
      fc.property(word, word, (a, b) => {
        const full = editDistance(a, b, 100);
        expect(full).toBe(editDistance(b, a, 100));
        expect(full).toBeLessThanOrEqual(Math.max(a.length, b.length));
        expect(full === 0).toBe(a === b);
        const cut = editDistance(a, b, 2);
        expect(cut).toBe(Math.min(full, 3));
      }),
    );
    expect(editDistance('retires', 'retries', 5)).toBe(1);
    expect(editDistance('kitten', 'sitting', 5)).toBe(3);
  });

  it('prefers whole paths, then last segments, and refuses far words', () => {
    const known = ['version', 'load_balancer', 'load_balancer.upstreams', 'load_balancer.listen'];
    expect(suggestKey('upstream', known)).toBe('load_balancer.upstreams');
    expect(suggestKey('versoin', known)).toBe('version');
    expect(suggestKey('load_balancr', known)).toBe('load_balancer');
    expect(suggestKey('LISTEN', known)).toBe('load_balancer.listen');
    expect(suggestKey('tls', known)).toBeUndefined();
    expect(suggestKey('', known)).toBeUndefined();
  });
});
