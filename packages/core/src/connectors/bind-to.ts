/**
 * Which local address an upstream connection binds to: the peer's own
 * bindTo, else one picked at random from the server's client_bind_to_ipv4 or
 * client_bind_to_ipv6 list matching the peer's family (Pingora's
 * bind_to_random). Unix peers never bind.
 */
import { isIP } from 'node:net';
import { ErrorType, PingoraError } from '@pingora-ts/error';
import type { SocketAddr } from '../l4/socket-addr.ts';

export interface BindToLists {
  readonly v4: readonly string[];
  readonly v6: readonly string[];
}

/** Checks that every address is an IP literal of the list's family. */
export function resolveBindToLists(
  v4: readonly string[] = [],
  v6: readonly string[] = [],
): BindToLists {
  for (const addr of v4) {
    if (isIP(addr) !== 4) throw bad('client_bind_to_ipv4', addr);
  }
  for (const addr of v6) {
    if (isIP(addr) !== 6) throw bad('client_bind_to_ipv6', addr);
  }
  return { v4: [...v4], v6: [...v6] };
}

/** The local address to bind to for `target`, or undefined to let the OS choose. */
export function pickBindTo(
  target: SocketAddr,
  peerBindTo: string | undefined,
  lists: BindToLists,
): string | undefined {
  if (target.kind === 'unix') return undefined;
  if (peerBindTo !== undefined) return peerBindTo;
  const list = target.family === 6 ? lists.v6 : lists.v4;
  if (list.length === 0) return undefined;
  if (list.length === 1) return list[0];
  return list[Math.floor(Math.random() * list.length)];
}

function bad(setting: string, addr: string): PingoraError {
  return PingoraError.explain(
    ErrorType.ConfigError,
    `${setting} entry ${JSON.stringify(addr)} is not an address of that IP family`,
  );
}
