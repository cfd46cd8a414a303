/**
 * Shared setup of the process tests: start the line-server fixture with
 * arguments (killed after each test), learn its port, a base configuration.
 */
import { afterEach } from 'vitest';
import { type Child, LINE_SERVER, spawnTs } from './child.ts';

const children: Child[] = [];

/** Starts the fixture; every child still running after a test is killed. */
export function start(args: string[]): Child {
  const child = spawnTs(LINE_SERVER, args);
  children.push(child);
  return child;
}

/** Registers the cleanup in the calling test file. */
export function killChildrenAfterEach(): void {
  afterEach(() => {
    for (const c of children.splice(0)) c.kill();
  });
}

/** The first bound port the fixture reports. */
export async function portOf(child: Child): Promise<number> {
  const m = await child.waitFor(/listening (\[.*\])\n/);
  return (JSON.parse(m[1] as string) as Array<{ port: number }>)[0]?.port as number;
}

/** A configuration with a 10 s grace period and the fixture on port 0. */
export const CONF = `version: 1
grace_period_seconds: 10
graceful_shutdown_timeout_seconds: 2
fixture:
  listen: 127.0.0.1:0
`;
