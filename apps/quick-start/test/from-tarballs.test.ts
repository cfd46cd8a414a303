/**
 * The quick start as a user installing from the registry meets it: the
 * packages it needs are built, packed with `pnpm pack` (workspace ranges
 * become version ranges), installed from the tarballs into a temporary
 * project outside the workspace (pnpm, preferring its store: offline when
 * the workspace install filled it), and the sample's main.ts runs there on
 * Node's type stripping, balancing over its two origins.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it, vi } from 'vitest';
import { get, runSample } from './utils.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const WORKSPACE = join(ROOT, 'scripts', 'workspace.mjs');
// A build (cached by turbo after the first), packing and an install: slow on a loaded machine.
vi.setConfig({ testTimeout: 300_000 });

const project = mkdtempSync(join(tmpdir(), 'pingora-ts-tarballs-'));
afterAll(() => rmSync(project, { recursive: true, force: true }));

/** Runs a command in the workspace environment (Node 24 and the workspace's tools on PATH). */
function workspace(...args: string[]): string {
  return execFileSync(process.execPath, [WORKSPACE, 'run', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
}

it('installs from packed tarballs and runs the quick start', async () => {
  workspace(
    'turbo',
    'run',
    'build',
    '--filter=@pingora-ts/app-quick-start...',
    '--output-logs=errors-only',
  );
  const packed = workspace(
    'node',
    'scripts/pack-packages.mjs',
    join(project, 'tarballs'),
    '--for',
    '@pingora-ts/app-quick-start',
  );
  const tarballs: Record<string, string> = {};
  for (const line of packed.trim().split('\n')) {
    const [name, path] = line.split(' ');
    if (name !== undefined && path !== undefined) tarballs[name] = `file:${path}`;
  }
  expect(Object.keys(tarballs)).toContain('@pingora-ts/core');
  // The sample's direct imports from the tarballs; their @pingora-ts deps resolve to tarballs too.
  const direct = [
    '@pingora-ts/core',
    '@pingora-ts/error',
    '@pingora-ts/load-balancing',
    '@pingora-ts/proxy',
  ];
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({
      name: 'tarball-user',
      private: true,
      type: 'module',
      dependencies: Object.fromEntries(direct.map((n) => [n, tarballs[n]])),
      pnpm: { overrides: tarballs },
    }),
  );
  workspace('pnpm', '--dir', project, 'install', '--prefer-offline', '--ignore-workspace');
  copyFileSync(join(ROOT, 'apps', 'quick-start', 'src', 'main.ts'), join(project, 'main.ts'));

  // Run by the plain node binary, outside the workspace: no source condition, dist/ from the tarballs.
  await using app = runSample(
    join(project, 'main.ts'),
    'version: 1\ngrace_period_seconds: 1\nquick_start:\n  listen: 127.0.0.1:0\n',
    [],
    { fromSource: false },
  );
  const port = await app.port('proxy');
  const bodies = [(await get(port)).body, (await get(port)).body];
  expect(new Set(bodies)).toEqual(new Set(['Hello from one\n', 'Hello from two\n']));
  expect(await app.stop()).toBe(0);
});
