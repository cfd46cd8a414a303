/**
 * The command line on a real process: `-t` on good and bad files, one
 * message naming key and line for each configuration error, exit codes.
 */
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { tempDir } from './utils/child.ts';
import { CONF, killChildrenAfterEach, portOf, start } from './utils/process-setup.ts';

killChildrenAfterEach();
// Real processes on a loaded machine: generous limits.
vi.setConfig({ testTimeout: 45_000 });

describe('-t and configuration errors', () => {
  it('-t on a good file exits 0 without listening', async () => {
    using tmp = tempDir();
    const child = start(['-t', '-c', tmp.write('conf.yaml', CONF)]);
    expect(await child.exited()).toBe(0);
    expect(child.stdout).toMatch(/test is successful/);
    expect(child.stdout).not.toMatch(/listening/);
  });

  it('-t on a bad server key exits 1 with one message naming key and line', async () => {
    using tmp = tempDir();
    const path = tmp.write('bad.yaml', 'version: 1\n\ngrace_period_seconds: soon\n');
    const child = start(['-t', '-c', path]);
    expect(await child.exited()).toBe(1);
    expect(child.stderr.trim()).toBe(
      `configuration error: ${path}:3:23: grace_period_seconds: expected a number from 0 to 86400, got the string "soon"`,
    );
  });

  it('-t validates the app settings too', async () => {
    using tmp = tempDir();
    const path = tmp.write(
      'bad.yaml',
      'version: 1\nfixture:\n  listen: 127.0.0.1:0\n  max_slow_ms: -5\n',
    );
    const child = start(['-t', '-c', path]);
    expect(await child.exited()).toBe(1);
    expect(child.stderr).toMatch(
      new RegExp(`${path}:4:16: fixture.max_slow_ms: expected an integer >= 0`),
    );
  });

  it('-t refuses a key no schema claims, with its line and a hint', async () => {
    using tmp = tempDir();
    const path = tmp.write(
      'typo.yaml',
      'version: 1\nfixture:\n  listen: 127.0.0.1:0\nmax_slow_ms: 5\n',
    );
    const child = start(['-t', '-c', path]);
    expect(await child.exited()).toBe(1);
    expect(child.stderr).toMatch(
      new RegExp(
        `${path}:4:1: max_slow_ms: unknown key \\(did you mean "fixture\\.max_slow_ms"\\?\\)`,
      ),
    );
  });

  it('a YAML syntax error, an unknown version and a missing file each exit 1 with a message', async () => {
    using tmp = tempDir();
    const cases: Array<[string, RegExp]> = [
      [tmp.write('a.yaml', 'version: 1\nfixture: [\n'), /a\.yaml:\d+:\d+: invalid YAML/],
      [tmp.write('b.yaml', 'version: 3\n'), /b\.yaml:1:10: version: unknown version 3/],
      [
        join(tmp.dir, 'missing.yaml'),
        /missing\.yaml: cannot read the configuration file \(ENOENT\)/,
      ],
    ];
    // Independent processes: run them side by side.
    const children = cases.map(([path]) => start(['-c', path]));
    const codes = await Promise.all(children.map((c) => c.exited()));
    expect(codes).toEqual([1, 1, 1]);
    cases.forEach(([, re], i) => {
      expect(children[i]?.stderr).toMatch(re);
    });
  });

  it('a bad command line exits 1; --help exits 0', async () => {
    const bad = start(['--frobnicate']);
    const help = start(['--help']);
    expect(await bad.exited()).toBe(1);
    expect(bad.stderr).toMatch(/Unknown option '--frobnicate'/);
    expect(await help.exited()).toBe(0);
    expect(help.stdout).toMatch(/-c, --conf <FILE>/);
  });

  it('a port already in use fails the start with exit 1', async () => {
    using tmp = tempDir();
    const first = start(['-c', tmp.write('a.yaml', CONF)]);
    const port = await portOf(first);
    const second = start([
      '-c',
      tmp.write('b.yaml', CONF.replace('127.0.0.1:0', `127.0.0.1:${port}`)),
    ]);
    expect(await second.exited()).toBe(1);
    expect(second.stderr).toMatch(/BindError/);
  });
});
