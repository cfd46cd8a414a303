/**
 * Smoke test of the quick start: the process balances round robin over its
 * two origins once the first health check round is done, `-t` refuses a
 * misspelt key with a hint, and SIGTERM stops it with exit code 0.
 */
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { get, runSample } from './utils.ts';

const MAIN = join(import.meta.dirname, '..', 'src', 'main.ts');

it('balances round robin over its two origins and exits 0 on SIGTERM', async () => {
  await using app = runSample(
    MAIN,
    'version: 1\ngrace_period_seconds: 1\nquick_start:\n  listen: 127.0.0.1:0\n',
  );
  const port = await app.port('proxy');
  const bodies = [];
  for (let i = 0; i < 4; i++) bodies.push((await get(port)).body);
  expect(new Set(bodies)).toEqual(new Set(['Hello from one\n', 'Hello from two\n']));
  expect(bodies[0]).not.toBe(bodies[1]);
  expect(bodies[0]).toBe(bodies[2]);
  expect(await app.stop()).toBe(0);
});

it('-t refuses a key nobody reads, with a hint', async () => {
  await using app = runSample(MAIN, 'version: 1\nlisten: 127.0.0.1:0\n', ['-t']);
  expect(await app.exited()).toBe(1);
  expect(app.log()).toMatch(/:2:1: listen: unknown key \(did you mean "quick_start\.listen"\?\)/);
});
