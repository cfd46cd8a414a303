/**
 * What the kernel offers a zero-downtime upgrade: SO_REUSEPORT (Linux, the
 * BSDs, Solaris, AIX; Node raises an error elsewhere) and, on Linux 5.14+,
 * `net.ipv4.tcp_migrate_req`, which moves connections queued on a closed
 * reuseport listener to another listener of its group instead of resetting them.
 */
import { readFileSync } from 'node:fs';

const REUSE_PORT_PLATFORMS: ReadonlySet<string> = new Set([
  'linux',
  'freebsd',
  'openbsd',
  'netbsd',
  'sunos',
  'aix',
]);

/** True where `listen({ reusePort: true })` works. */
export function reusePortSupported(platform: string = process.platform): boolean {
  return REUSE_PORT_PLATFORMS.has(platform);
}

export const TCP_MIGRATE_REQ_PATH = '/proc/sys/net/ipv4/tcp_migrate_req';

/** 0 or 1 on Linux 5.14+; undefined where the setting does not exist. */
export function tcpMigrateReq(path: string = TCP_MIGRATE_REQ_PATH): number | undefined {
  try {
    const v = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isNaN(v) ? undefined : v;
  } catch {
    return undefined;
  }
}

/**
 * Why a reuseport hand-over may reset connections, for a log line, or
 * undefined when the kernel migrates them.
 */
export function migrateReqAdvice(value: number | undefined): string | undefined {
  if (value === 1) return undefined;
  if (value === undefined) {
    return 'this kernel has no net.ipv4.tcp_migrate_req (Linux 5.14+): connections queued on the old process when it stops accepting are reset; upgrade with SIGUSR2 instead';
  }
  return 'net.ipv4.tcp_migrate_req is 0: connections queued on the old process when it stops accepting are reset; run `sysctl -w net.ipv4.tcp_migrate_req=1` (persist it in /etc/sysctl.d/) or upgrade with SIGUSR2 instead';
}
