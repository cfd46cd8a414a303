/**
 * The opt-in X-Forwarded-For / X-Forwarded-Proto and Forwarded (RFC 7239)
 * helper: call it from upstreamRequestFilter to tell the upstream who the
 * client was. It appends to what earlier proxies wrote, never replaces it,
 * unless told to distrust the incoming values.
 */
import type { SocketAddr } from '@pingora-ts/core';
import type { RequestHeader } from '@pingora-ts/http';

export interface ForwardedOptions {
  /** Add `X-Forwarded-For: <client ip>` (default true). */
  xForwardedFor?: boolean;
  /** Set `X-Forwarded-Proto` (default true). */
  xForwardedProto?: boolean;
  /** Set `X-Forwarded-Host` to the Host the client asked for (default false). */
  xForwardedHost?: boolean;
  /** Add an RFC 7239 `Forwarded` element (default false). */
  forwarded?: boolean;
  /** Drop values set by the client before adding ours (default false: append). */
  replaceIncoming?: boolean;
  /** The scheme the client used (default `http`). */
  proto?: 'http' | 'https';
  /** The `by=` identifier of this proxy in `Forwarded` (default: omitted). */
  by?: string;
}

/** The client address as it appears in X-Forwarded-For: the bare IP, no port. */
export function clientIp(addr: SocketAddr | undefined): string | undefined {
  if (addr === undefined) return undefined;
  return addr.kind === 'inet' ? addr.address : undefined;
}

/** A `Forwarded` node: IPv6 is bracketed and quoted, unknown is `unknown` (RFC 7239 6). */
function forwardedNode(addr: SocketAddr | undefined): string {
  if (addr === undefined || addr.kind === 'unix') return 'unknown';
  return addr.family === 6 ? `"[${addr.address}]"` : addr.address;
}

function quoteIfNeeded(value: string): string {
  return /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(value)
    ? value
    : `"${value.replace(/["\\]/g, '\\$&')}"`;
}

/**
 * Adds the forwarding fields to `req` (the upstream request) for a client at
 * `client`. Multiple X-Forwarded-For lines are folded into one list.
 */
export function addForwardedHeaders(
  req: RequestHeader,
  client: SocketAddr | undefined,
  options: ForwardedOptions = {},
): void {
  const proto = options.proto ?? 'http';
  const replace = options.replaceIncoming === true;
  if (options.xForwardedFor !== false) {
    const ip = clientIp(client) ?? 'unknown';
    // Most requests carry no X-Forwarded-For: skip the list and join then.
    const prior =
      replace || !req.hasHeader('x-forwarded-for') ? undefined : req.getAll('x-forwarded-for');
    req.insertHeader('X-Forwarded-For', prior === undefined ? ip : `${prior.join(', ')}, ${ip}`);
  }
  if (options.xForwardedProto !== false) {
    if (replace || !req.hasHeader('x-forwarded-proto'))
      req.insertHeader('X-Forwarded-Proto', proto);
  }
  const host = req.getHeader('host');
  if (options.xForwardedHost === true && host !== undefined) {
    if (replace || !req.hasHeader('x-forwarded-host')) req.insertHeader('X-Forwarded-Host', host);
  }
  if (options.forwarded === true) {
    let element = `for=${forwardedNode(client)}`;
    if (options.by !== undefined) element += `;by=${quoteIfNeeded(options.by)}`;
    if (host !== undefined) element += `;host=${quoteIfNeeded(host)}`;
    element += `;proto=${proto}`;
    const prior = replace ? [] : req.getAll('forwarded');
    prior.push(element);
    req.insertHeader('Forwarded', prior.join(', '));
  }
}
