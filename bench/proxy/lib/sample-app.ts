/**
 * What our peers share: each is one of the sample apps in apps/, built with
 * turbo and run from its dist/ as users run it, one process on a generated
 * config whose server part (threads, pid file, upgrade socket, grace
 * periods, upstream keep-alive pool) is the same for all of them.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorType, PingoraError } from '@pingora-ts/error';
import { type Child, spawnChild } from './children.ts';
import type { PeerContext } from './peer.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');

/** One sample app, by its folder name in apps/ (`load-balancer`, `cache`). */
export class SampleApp {
  readonly name: string;
  readonly dir: string;
  readonly main: string;

  constructor(name: string) {
    this.name = name;
    this.dir = join(ROOT, 'apps', name);
    this.main = join(this.dir, 'dist', 'main.js');
  }

  /** Why the app cannot run here, for Peer.unavailable. */
  unavailable(): string | undefined {
    return existsSync(join(this.dir, 'package.json'))
      ? undefined
      : `apps/${this.name} does not exist`;
  }

  /** Builds the app and what it depends on (Peer.prepare); throws when the build fails. */
  build(): void {
    const pkg = `@pingora-ts/app-${this.name}`;
    process.stderr.write(`bench: building ${pkg} with turbo\n`);
    const r = spawnSync(
      process.execPath,
      [
        join(ROOT, 'scripts', 'workspace.mjs'),
        'run',
        'turbo',
        'run',
        'build',
        `--filter=${pkg}...`,
        '--output-logs=errors-only',
      ],
      // Build output goes to stderr: stdout carries only the report.
      { cwd: ROOT, stdio: ['ignore', 2, 2], timeout: 600_000 },
    );
    if (r.status !== 0 || !existsSync(this.main)) {
      throw PingoraError.explain(
        ErrorType.InternalError,
        `building apps/${this.name} failed (status ${r.status}); ${this.main} ${existsSync(this.main) ? 'is stale' : 'is missing'}`,
      );
    }
  }

  /**
   * Writes `conf` into the run's directory and starts the built app on it
   * as `peer`. JSON is YAML: the app reads it with its YAML loader.
   */
  start(peer: string, ctx: PeerContext, conf: object): Child {
    const path = join(ctx.dir, 'conf.yaml');
    writeFileSync(path, `${JSON.stringify(conf, null, 2)}\n`);
    return spawnChild(peer, process.execPath, [...ctx.nodeArgs, this.main, '-c', path], {
      cpu: ctx.cpu,
      cwd: this.dir,
      logPath: join(ctx.dir, `${peer}.log`),
    });
  }
}

/**
 * The server part of every app config: one thread, its pid file and upgrade
 * socket in the run's directory, short grace periods, and an upstream
 * keep-alive pool of twice the client's connections.
 */
export function serverConf(ctx: PeerContext): Record<string, unknown> {
  return {
    version: 1,
    threads: 1,
    pid_file: join(ctx.dir, 'pingora.pid'),
    upgrade_sock: join(ctx.dir, 'upgrade.sock'),
    grace_period_seconds: 1,
    graceful_shutdown_timeout_seconds: 1,
    upstream_keepalive_pool_size: ctx.connections * 2,
  };
}
