/**
 * The native tools the benchmark drives: nginx (origin and peer), HAProxy,
 * wrk, Varnish for the cache section, and for the TLS section h2load and the openssl CLI. Missing ones are installed from Debian's packages with apt-get
 * (as root, retrying while another install holds the dpkg lock); the service
 * Debian may start on port 80 is stopped again, since the benchmark runs its
 * own instances on loopback ports.
 */
import { spawnSync } from 'node:child_process';
import { ErrorType, PingoraError } from '@pingora-ts/error';

/** Binary name to the Debian package that provides it. */
const PACKAGES = {
  nginx: 'nginx-light',
  haproxy: 'haproxy',
  wrk: 'wrk',
  h2load: 'nghttp2-client',
  openssl: 'openssl',
  varnishd: 'varnish',
} as const;
export type Tool = keyof typeof PACKAGES;

const LOCK_WAIT_MS = 180_000;

export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function aptGet(args: readonly string[]): void {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    const r = spawnSync('apt-get', args, {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      encoding: 'utf8',
      timeout: 600_000,
    });
    if (r.status === 0) return;
    const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
    if (
      /Could not get lock|dpkg was interrupted|Unable to acquire/i.test(out) &&
      Date.now() < deadline
    ) {
      process.stderr.write('bench: the dpkg lock is held by another install, retrying in 5 s\n');
      spawnSync('sleep', ['5']);
      continue;
    }
    throw PingoraError.explain(
      ErrorType.InternalError,
      `apt-get ${args.join(' ')} failed (status ${r.status}):\n${out.trim().split('\n').slice(-10).join('\n')}`,
    );
  }
}

/** Installs whichever of `tools` is missing; returns the ones it installed. */
export function ensureTools(tools: readonly Tool[], allowInstall: boolean): Tool[] {
  const missing = tools.filter((t) => !hasCommand(t));
  if (missing.length === 0) return [];
  const pkgs = missing.map((t) => PACKAGES[t]);
  const cmd = `apt-get install -y ${pkgs.join(' ')}`;
  if (!allowInstall || process.getuid?.() !== 0 || !hasCommand('apt-get')) {
    throw PingoraError.explain(
      ErrorType.ConfigError,
      `missing ${missing.join(', ')}: install them (as root: ${cmd}) or leave out the peers that need them`,
    );
  }
  process.stderr.write(`bench: installing ${pkgs.join(' ')} with apt-get\n`);
  try {
    aptGet(['install', '-y', '--no-install-recommends', ...pkgs]);
  } catch {
    // A stale package index is the usual cause; refresh once and retry.
    aptGet(['update']);
    aptGet(['install', '-y', '--no-install-recommends', ...pkgs]);
  }
  // Debian starts the packaged services where an init system runs; the
  // benchmark never uses them, so they must not keep port 80 or CPU.
  for (const service of ['nginx', 'haproxy', 'varnishd'] as const) {
    if (missing.includes(service)) {
      const unit = service === 'varnishd' ? 'varnish' : service;
      spawnSync('sh', ['-c', `invoke-rc.d ${unit} stop || service ${unit} stop`], {
        stdio: 'ignore',
        timeout: 30_000,
      });
    }
  }
  return missing;
}

/** One line naming the version of a tool, or "absent". */
export function toolVersion(tool: Tool): string {
  const args =
    tool === 'haproxy'
      ? ['-v']
      : tool === 'h2load'
        ? ['--version']
        : tool === 'openssl'
          ? ['version']
          : ['-v'];
  const r = spawnSync(tool, args, { encoding: 'utf8', timeout: 5000 });
  if (r.error) return 'absent';
  const line = `${r.stdout ?? ''}\n${r.stderr ?? ''}`
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l.length > 0);
  return line === undefined ? 'unknown' : line.replace(/\s+(- https?:\S+|Copyright.*)$/, '');
}
