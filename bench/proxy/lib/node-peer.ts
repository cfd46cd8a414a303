/**
 * Shared launcher of the Node-based peers: each runs its server script from
 * servers/ (plain JavaScript, see args.mjs) in its own Node process (the workspace's Node 24), pinned like every
 * other peer, as `node [flags] <script> <listen port> <origin host:port> <connections>`.
 * When profiling, the process is asked to exit through SIGUSR2 so that
 * `--cpu-prof` gets to write its profile.
 */
import { join } from 'node:path';
import { type Child, spawnChild } from './children.ts';
import type { PeerContext } from './peer.ts';

export const SERVERS_DIR = join(import.meta.dirname, '..', 'servers');

/** Flags that make a Node peer write a CPU profile into `dir` when stopped. */
export function cpuProfileArgs(dir: string): string[] {
  return [
    '--cpu-prof',
    `--cpu-prof-dir=${dir}`,
    '--import',
    join(SERVERS_DIR, 'exit-on-signal.mjs'),
  ];
}

export function startNodeServer(name: string, script: string, ctx: PeerContext): Child {
  return spawnChild(
    name,
    process.execPath,
    [
      ...ctx.nodeArgs,
      join(SERVERS_DIR, script),
      String(ctx.port),
      `${ctx.originHost}:${ctx.originPort}`,
      String(ctx.connections),
    ],
    { cpu: ctx.cpu, logPath: join(ctx.dir, `${name}.log`) },
  );
}

/** Stops a Node peer; a profiled one exits by itself so its profile is written. */
export function stopNodeServer(child: Child, ctx: PeerContext): Promise<void> {
  return ctx.nodeArgs.includes('--cpu-prof')
    ? child.stop({ signal: 'SIGUSR2', leaderOnly: true, graceMs: 15_000 })
    : child.stop();
}
