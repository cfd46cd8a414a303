/**
 * Two socket chores of graceful upgrades: check that a port is free before
 * binding it with SO_REUSEPORT (which would otherwise share it silently), and
 * close a Unix listener a successor now serves without removing its file.
 */
import { linkSync, renameSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import type { Logger } from 'pino';

/** Binds and releases `host:port` without SO_REUSEPORT: rejects with EADDRINUSE when it is taken. */
export function bindOnce(host: string, port: number, ipv6Only: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen({ host, port, ipv6Only, exclusive: true, backlog: 1 }, () => {
      probe.close(() => resolve());
    });
  });
}

/**
 * Closes a Unix listener whose socket a successor now serves. Node unlinks the
 * path on close, which would leave the successor unreachable: a hard link
 * keeps the file, renamed back in place right after (a connect in between
 * fails with ENOENT; the successor keeps every connection already queued).
 */
export function closeKeepingPath(server: Server, path: string, logger: Logger): void {
  const keep = `${path}.${process.pid}.upgrade`;
  try {
    linkSync(path, keep);
  } catch (err) {
    logger.warn({ err, path }, 'cannot keep the socket file for the new process');
    server.close();
    return;
  }
  server.close();
  try {
    renameSync(keep, path);
  } catch (err) {
    logger.error({ err, path }, 'cannot put the socket file back for the new process');
  }
}
