#!/usr/bin/env node
/**
 * Entry point of the root npm scripts. Runs on whatever Node the host has
 * (Node 20 included): installs the workspace with pnpm from the npm registry
 * when node_modules is missing or stale, then runs the requested command with
 * node_modules/.bin first on PATH, so every tool runs on the workspace's own
 * Node 24 (the `node` devDependency), never on the host's.
 *
 *   node scripts/workspace.mjs start        build and start the main sample gateway
 *   node scripts/workspace.mjs test         run the whole vitest suite
 *   node scripts/workspace.mjs run <cmd...> run any command in that environment
 *
 * Every command runs as a child that gets SIGINT, SIGTERM, SIGQUIT, SIGHUP,
 * SIGUSR1 and SIGUSR2 passed on, and this process ends the way the child did
 * (same exit code, or killed by the same signal): a process manager that
 * signals only the launcher reaches the server, and no server is left behind.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const pnpmSpec = rootPkg.packageManager; // e.g. pnpm@10.34.9
const binDir = join(root, 'node_modules', '.bin');
// The real Node 24 binary of the `node` package. node_modules/.bin/node is only a
// shell wrapper that does not exec it, so signals sent to the wrapper would not
// reach the server; this directory goes first on PATH.
const nodeBinDir = join(root, 'node_modules', 'node', 'bin');

/** The sample gateway that `npm start` runs. */
const MAIN_APP = 'quick-start';

const env = {
  ...process.env,
  PATH: [nodeBinDir, binDir, process.env.PATH ?? ''].join(delimiter),
  // Turbo's own telemetry and update checks would reach past the npm registry.
  TURBO_TELEMETRY_DISABLED: '1',
  DO_NOT_TRACK: '1',
  TURBO_NO_UPDATE_NOTIFIER: '1',
};

/** The signals a launcher passes on to the command it runs. */
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGQUIT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2'];
/** How often the launcher checks that the process that started it is still there. */
const PARENT_WATCH_MS = 500;

/**
 * Runs `cmd` and resolves when it exited with status 0. Any other end is this
 * process's end too: the same exit code, or the same signal re-raised (128 +
 * its number if that signal would not end us).
 */
function run(cmd, args) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: 'inherit', cwd: root, env });
    const forward = (signal) => {
      try {
        child.kill(signal);
      } catch {
        // Already gone: its exit is handled below.
      }
    };
    for (const s of FORWARDED) process.on(s, forward);
    // npm passes on only SIGINT and SIGTERM: if it is killed by another signal
    // (SIGQUIT, SIGHUP, SIGUSR2), we are reparented; stop the child gracefully
    // rather than leave it running with nobody to signal it.
    const parent = process.ppid;
    const underNpm = Object.hasOwn(process.env, 'npm_lifecycle_event');
    const watch = setInterval(() => {
      if (underNpm && parent > 1 && process.ppid !== parent) forward('SIGTERM');
    }, PARENT_WATCH_MS);
    watch.unref();
    child.once('error', (err) => {
      console.error(`workspace: cannot run ${cmd}: ${err.message}`);
      process.exit(1);
    });
    child.once('exit', (code, signal) => {
      clearInterval(watch);
      for (const s of FORWARDED) process.off(s, forward);
      if (code === 0) {
        resolve();
        return;
      }
      // Node answers SIGUSR1 by opening its inspector, so that one is not re-raised.
      if (signal !== null && signal !== 'SIGUSR1') {
        process.kill(process.pid, signal);
      }
      if (signal !== null) process.exit(128 + (osConstants.signals[signal] ?? 0));
      process.exit(code ?? 1);
    });
  });
}

function installIsFresh() {
  const marker = join(root, 'node_modules', '.pnpm', 'lock.yaml');
  const lock = join(root, 'pnpm-lock.yaml');
  if (!existsSync(marker) || !existsSync(join(nodeBinDir, 'node'))) return false;
  if (!existsSync(lock)) return false;
  const newest = Math.max(
    statSync(lock).mtimeMs,
    statSync(join(root, 'package.json')).mtimeMs,
    statSync(join(root, 'pnpm-workspace.yaml')).mtimeMs,
  );
  return statSync(marker).mtimeMs >= newest;
}

async function ensureInstalled() {
  if (installIsFresh()) return;
  const frozen = existsSync(join(root, 'pnpm-lock.yaml'));
  const args = ['--yes', pnpmSpec, 'install', ...(frozen ? ['--frozen-lockfile'] : [])];
  console.error(`workspace: installing with ${pnpmSpec} (npm registry only)`);
  await run('npx', args);
}

const [command, ...rest] = process.argv.slice(2);
await ensureInstalled();

switch (command) {
  case 'start': {
    const app = rest[0] && !rest[0].startsWith('-') ? rest.shift() : MAIN_APP;
    await run('turbo', [
      'run',
      'build',
      `--filter=@pingora-ts/app-${app}...`,
      '--output-logs=errors-only',
    ]);
    const appDir = join(root, 'apps', app);
    const conf =
      rest.includes('-c') || rest.includes('--conf') ? [] : ['-c', join(appDir, 'conf.yaml')];
    await run('node', [join(appDir, 'dist', 'main.js'), ...conf, ...rest]);
    break;
  }
  case 'test':
    await run('vitest', ['run', ...rest]);
    break;
  case 'run':
    if (rest.length === 0) {
      console.error('workspace: run needs a command');
      process.exit(2);
    }
    await run(rest[0], rest.slice(1));
    break;
  default:
    console.error('usage: node scripts/workspace.mjs start [app] | test [...] | run <cmd...>');
    process.exit(2);
}
