/**
 * The descriptor map a successor inherits: round trip, strict decoding,
 * each descriptor taken once, the variable removed from the environment.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeListenFds,
  encodeListenFds,
  InheritedListeners,
  LISTEN_FDS_ENV,
} from '../src/index.ts';

describe('listen fds', () => {
  it('round-trips any map of names to descriptors', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.integer({ min: 3, max: 65_535 })), (obj) => {
        const map = new Map(Object.entries(obj));
        expect(decodeListenFds(encodeListenFds(map))).toEqual(map);
      }),
    );
  });

  it('rejects what is not a map of names to descriptors >= 3', () => {
    expect(() => decodeListenFds('nope')).toThrow(/is not JSON/);
    expect(() => decodeListenFds('[3]')).toThrow(/must be an object/);
    expect(() => decodeListenFds('{"a":2}')).toThrow(/"a" has no valid descriptor/);
    expect(() => decodeListenFds('{"a":"4"}')).toThrow(/"a" has no valid descriptor/);
    expect(() => decodeListenFds('{"a":4.5}')).toThrow(/"a" has no valid descriptor/);
  });

  it('hands each descriptor out once and removes the variable', () => {
    const env: NodeJS.ProcessEnv = { [LISTEN_FDS_ENV]: '{"http/127.0.0.1:0":4,"x/unix:/s":5}' };
    const inherited = InheritedListeners.fromEnv(env);
    expect(env[LISTEN_FDS_ENV]).toBeUndefined();
    expect(inherited.take('http/127.0.0.1:0')).toBe(4);
    expect(inherited.take('http/127.0.0.1:0')).toBeUndefined();
    expect(inherited.untaken()).toEqual(['x/unix:/s']);
    expect(InheritedListeners.fromEnv({}).size).toBe(0);
  });
});
