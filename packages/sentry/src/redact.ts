/**
 * What a Sentry event may say about a request: method, URL without the query
 * string (unless send_default_pii), and the request headers with credentials
 * redacted (Authorization, Proxy-Authorization, Cookie, Set-Cookie, and the
 * configured names; forwarding headers too unless send_default_pii). The
 * same rules scrub every outgoing event again in beforeSend.
 */
import type { Session } from '@pingora-ts/proxy';

export const REDACTED = '[Filtered]';

/** Headers never sent, whatever the configuration says. */
export const ALWAYS_REDACTED: readonly string[] = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
];

/** Headers that carry client addresses: sent only with send_default_pii. */
export const PII_HEADERS: readonly string[] = [
  'x-forwarded-for',
  'x-real-ip',
  'forwarded',
  'true-client-ip',
  'cf-connecting-ip',
];

/** The request as Sentry's `request` interface has it. */
export interface RedactedRequest {
  method: string;
  url: string;
  query_string?: string;
  headers: Record<string, string>;
}

export class Redactor {
  readonly #names: ReadonlySet<string>;
  readonly sendDefaultPii: boolean;

  constructor(extraHeaders: readonly string[], sendDefaultPii: boolean) {
    const names = new Set(ALWAYS_REDACTED);
    for (const h of extraHeaders) names.add(h.toLowerCase());
    if (!sendDefaultPii) for (const h of PII_HEADERS) names.add(h);
    this.#names = names;
    this.sendDefaultPii = sendDefaultPii;
  }

  /** The redacted header names, lower case. */
  names(): string[] {
    return [...this.#names];
  }

  /** Whether the value of header `name` must not be sent. */
  redacts(name: string): boolean {
    return this.#names.has(name.toLowerCase());
  }

  /** The request of `session` with redacted headers (Sentry's `request` interface). */
  request(session: Session): RedactedRequest {
    const req = session.reqHeader;
    const headers: Record<string, string> = {};
    for (const [name, value] of req.entries()) {
      const key = name.toLowerCase();
      const shown = this.#names.has(key) ? REDACTED : value;
      headers[key] = headers[key] === undefined ? shown : `${headers[key]}, ${shown}`;
    }
    const host = req.getHeader('host') ?? 'unknown';
    // The downstream scheme is not in the digest yet: the URL says http.
    const out: RedactedRequest = { method: req.method, url: `http://${host}${req.path}`, headers };
    const query = req.query;
    if (this.sendDefaultPii && query !== undefined) out.query_string = query;
    return out;
  }

  /** `GET /path, Host: example.com` without the query string (unless send_default_pii). */
  summary(session: Session): string {
    const req = session.reqHeader;
    const target = this.sendDefaultPii ? req.target : req.path;
    return `${req.method} ${target}, Host: ${req.getHeader('host') ?? ''}`;
  }

  /** Redacts header maps in place (objects or [name, value] pairs), for beforeSend. */
  scrubHeaders(headers: unknown): void {
    if (typeof headers !== 'object' || headers === null) return;
    if (Array.isArray(headers)) {
      for (const pair of headers) {
        if (Array.isArray(pair) && typeof pair[0] === 'string' && this.redacts(pair[0])) {
          pair[1] = REDACTED;
        }
      }
      return;
    }
    const map = headers as Record<string, unknown>;
    for (const name of Object.keys(map)) if (this.redacts(name)) map[name] = REDACTED;
  }
}
