/**
 * The command line every server accepts (Pingora's Opt).
 */
import { PingoraError } from '@pingora-ts/error';
import { describe, expect, it } from 'vitest';
import { parseServerArgs } from '../../src/index.ts';

describe('parseServerArgs', () => {
  it('reads every flag in its short and long form', () => {
    expect(parseServerArgs([])).toEqual({});
    expect(parseServerArgs(['-c', 'a.yaml', '-d', '-t', '-u', '--nocapture'])).toEqual({
      conf: 'a.yaml',
      daemon: true,
      test: true,
      upgrade: true,
      nocapture: true,
    });
    expect(
      parseServerArgs(['--conf', 'a.yaml', '--daemon', '--test', '--upgrade', '--help']),
    ).toEqual({
      conf: 'a.yaml',
      daemon: true,
      test: true,
      upgrade: true,
      help: true,
    });
    expect(parseServerArgs(['--conf=x/y.yaml'])).toEqual({ conf: 'x/y.yaml' });
    expect(parseServerArgs(['-dtc', './c.yaml'])).toEqual({
      daemon: true,
      test: true,
      conf: './c.yaml',
    });
    expect(parseServerArgs(['-c./c.yaml'])).toEqual({ conf: './c.yaml' });
    expect(parseServerArgs(['-h'])).toEqual({ help: true });
  });

  it('refuses unknown options, stray arguments and a missing file path', () => {
    for (const args of [
      ['-x'],
      ['--verbose'],
      ['conf.yaml'],
      ['-c'],
      ['--conf'],
      ['--conf='],
      ['-dx'],
    ]) {
      let error: unknown;
      try {
        parseServerArgs(args);
      } catch (err) {
        error = err;
      }
      expect(PingoraError.is(error), args.join(' ')).toBe(true);
      expect((error as PingoraError).context).toMatch(/^command line: /);
    }
  });
});
