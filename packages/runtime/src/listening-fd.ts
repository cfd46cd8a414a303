/**
 * The file descriptor of a listening net.Server, to pass it to a successor
 * process. Node exposes it on the server's handle on Unix; anywhere else (or
 * once closed) there is none and the caller falls back or reports it.
 */
import type { Server } from 'node:net';

/** The descriptor, or undefined when the platform or the server's state gives none. */
export function listeningFd(server: Server): number | undefined {
  const handle = (server as unknown as { _handle?: { fd?: unknown } | null })._handle;
  const fd = handle?.fd;
  return typeof fd === 'number' && Number.isSafeInteger(fd) && fd >= 0 ? fd : undefined;
}
