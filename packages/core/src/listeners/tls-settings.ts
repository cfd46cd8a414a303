/**
 * TlsSettings: the TLS side of one listening endpoint (Pingora's listener
 * TlsSettings), as plain data plus callbacks, so any TLS backend can build
 * it. `tlsSettings(cert, key)` gives Pingora's `intermediate` defaults;
 * `checkTlsSettings` rejects bad values with a ConfigError naming the key.
 */
import { ErrorType, PingoraError } from '@pingora-ts/error';
import type { TlsClientCert } from '../protocols/tls/digest.ts';
import type { TicketKeys } from '../protocols/tls/ticket-keys.ts';
import type { TlsAccept, TlsCertKey, TlsPem } from '../protocols/tls/tls-accept.ts';

/** Whether the listener asks clients for a certificate (mTLS). */
export const ClientCertMode = {
  /** Never ask. */
  None: 'none',
  /** Ask; a client without one (or with one that does not verify) is still served. */
  Optional: 'optional',
  /** Ask and require one that chains to `clientCa`; others fail the handshake. */
  Required: 'required',
} as const;
export type ClientCertMode = (typeof ClientCertMode)[keyof typeof ClientCertMode];

/** Which protocols the listener offers in ALPN. */
export const ListenerAlpn = {
  /** HTTP/1.1 only. */
  H1: 'h1',
  /** HTTP/2 only. */
  H2: 'h2',
  /** HTTP/2 preferred, HTTP/1.1 allowed (Pingora's `enable_h2`). */
  H2H1: 'h2h1',
} as const;
export type ListenerAlpn = (typeof ListenerAlpn)[keyof typeof ListenerAlpn];

/** The protocol lists, in server preference order. */
export const LISTENER_ALPN_PROTOCOLS: Readonly<Record<ListenerAlpn, readonly string[]>> = {
  h1: ['http/1.1'],
  h2: ['h2'],
  h2h1: ['h2', 'http/1.1'],
};

/** A certificate from files (watched and reloaded) or from memory. */
export type TlsCertSource = { readonly certPath: string; readonly keyPath: string } | TlsCertKey;

/** A PEM bundle from a file (reloaded with the certificates) or from memory. */
export type TlsPemSource = { readonly path: string } | TlsPem;

export type TlsVersion = 'TLSv1.2' | 'TLSv1.3';

export interface TlsSettings {
  /** The default certificate: served when no SNI entry matches. Optional only with a certificate callback. */
  readonly cert?: TlsCertSource;
  /**
   * Certificates per server name: exact names (`api.example.com`) and
   * wildcards of one label (`*.example.com`, which matches `a.example.com`
   * but not `example.com` or `a.b.example.com`). Exact names win.
   */
  readonly sni?: Readonly<Record<string, TlsCertSource>>;
  /** Lowest version accepted (default TLSv1.2, as Mozilla's intermediate profile). */
  readonly minVersion?: TlsVersion;
  /** Highest version accepted (default TLSv1.3). */
  readonly maxVersion?: TlsVersion;
  /**
   * TLS 1.2 cipher list and TLS 1.3 suites, in OpenSSL's syntax (default:
   * DEFAULT_TLS_CIPHERS, Mozilla's intermediate profile as Pingora's
   * `TlsSettings::intermediate`; the server's order decides).
   */
  readonly ciphers?: string;
  /** Signature algorithms, `ECDSA+SHA256:RSA-PSS+SHA256` (default: OpenSSL's). */
  readonly sigalgs?: string;
  /** Key exchange groups, `X25519MLKEM768:X25519:P-256` (default: OpenSSL's). */
  readonly groups?: string;
  /**
   * ALPN offered to clients; default none (HTTP/1.1 without ALPN, as Pingora
   * whose H2 is off by default). `h2` and `h2h1` need an HTTP/2-capable app.
   * A client offering nothing in common is served without ALPN (Pingora's
   * NOACK), except by `h2`, which refuses it with a fatal alert (as Pingora).
   */
  readonly alpn?: ListenerAlpn;
  /** mTLS: none (default), optional or required. */
  readonly clientCert?: ClientCertMode;
  /** The CA bundle client certificates must chain to (needed for optional/required). */
  readonly clientCa?: TlsPemSource;
  /**
   * A custom rule run after a client certificate verified against
   * `clientCa`; false (or a throw) closes the connection. Not called for
   * connections without a verified client certificate.
   */
  readonly verifyClient?: (cert: TlsClientCert) => boolean | Promise<boolean>;
  /** The shared session-ticket key (default: one random key per listener). */
  readonly ticketKeys?: TicketKeys;
  /**
   * Issue session tickets (default true). False is OpenSSL's NO_TICKET (as
   * nginx's `ssl_session_tickets off`): TLS 1.2 clients resume through the
   * session cache only, TLS 1.3 ones through the server's stateful tickets.
   */
  readonly sessionTickets?: boolean;
  /** How long a session (ticket or cached id) may be resumed, in seconds (default 300). */
  readonly sessionTimeoutSeconds?: number;
  /**
   * Sessions kept server-side for session-id resumption (0 disables the
   * cache). Default: 10000 with `sessionTickets: false` (the cache is then
   * the one way to resume: TLS 1.2 session ids, TLS 1.3 stateful tickets),
   * 0 with tickets on, where tickets resume TLS 1.3 and ticket-capable TLS
   * 1.2 clients and the cache would cost every full handshake a ClientHello
   * round trip into JS plus two `newSession` events (see the tls-openssl README).
   */
  readonly sessionCacheSize?: number;
  /** A client that has not completed the handshake by then is dropped (ms, default 10000). */
  readonly handshakeTimeoutMs?: number;
  /**
   * Handshakes in flight at once on the endpoint; past it new connections
   * are closed at once (default 10000). Bounds what slow or silent clients hold.
   */
  readonly maxHandshakes?: number;
  /** Reload certificate files when they change on disk (default true). */
  readonly watchFiles?: boolean;
  /** Changes within this window are reloaded once (ms, default 500). */
  readonly watchDebounceMs?: number;
  /** Certificate and handshake-complete callbacks (Pingora's TlsAccept). */
  readonly callbacks?: TlsAccept;
}

/**
 * Mozilla's intermediate profile (v5), which Pingora's listeners start from
 * (`SslAcceptor::mozilla_intermediate_v5`): AES-128-GCM first, the cheapest
 * AEAD where AES runs in hardware (Node's own default puts AES-256 first).
 * The DHE suites are left out: no DH parameters are configured.
 */
export const DEFAULT_TLS_CIPHERS =
  'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:' +
  'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:' +
  'ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:' +
  'ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305';
export const DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS = 10_000;
export const DEFAULT_TLS_SESSION_TIMEOUT_SECONDS = 300;
/** The session cache size when `sessionTickets` is false (with tickets on, the default is 0). */
export const DEFAULT_TLS_SESSION_CACHE_SIZE = 10_000;
export const DEFAULT_TLS_WATCH_DEBOUNCE_MS = 500;
export const DEFAULT_TLS_MAX_HANDSHAKES = 10_000;

/** Pingora's `TlsSettings::intermediate(cert_path, key_path)`, with more settings if given. */
export function tlsSettings(
  certPath: string,
  keyPath: string,
  more: Omit<TlsSettings, 'cert'> = {},
): TlsSettings {
  return checkTlsSettings({ ...more, cert: { certPath, keyPath } });
}

const VERSIONS = new Set<string>(['TLSv1.2', 'TLSv1.3']);
const MODES = new Set<string>(Object.values(ClientCertMode));
const ALPNS = new Set<string>(Object.values(ListenerAlpn));
/** One DNS label of letters, digits and hyphens (or a leading `*`). */
const NAME_RE =
  /^(\*|[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)+$/;

/** Returns `settings` if valid; throws a ConfigError naming the first bad key. */
export function checkTlsSettings(settings: TlsSettings): TlsSettings {
  const s = settings;
  if (s.cert === undefined && s.callbacks?.certificateCallback === undefined) {
    throw bad('cert', 'is required unless a certificate callback is set');
  }
  if (s.cert !== undefined) checkCertSource(s.cert, 'cert');
  for (const [name, source] of Object.entries(s.sni ?? {})) {
    if (!NAME_RE.test(name.toLowerCase())) {
      throw bad(`sni.${name}`, 'is not a server name (use a DNS name or *.domain)');
    }
    checkCertSource(source, `sni.${name}`);
  }
  if (s.minVersion !== undefined && !VERSIONS.has(s.minVersion))
    throw bad('minVersion', 'must be TLSv1.2 or TLSv1.3');
  if (s.maxVersion !== undefined && !VERSIONS.has(s.maxVersion))
    throw bad('maxVersion', 'must be TLSv1.2 or TLSv1.3');
  if (s.minVersion === 'TLSv1.3' && s.maxVersion === 'TLSv1.2')
    throw bad('minVersion', 'is above maxVersion');
  if (s.alpn !== undefined && !ALPNS.has(s.alpn)) throw bad('alpn', 'must be h1, h2 or h2h1');
  const mode = s.clientCert ?? ClientCertMode.None;
  if (!MODES.has(mode)) throw bad('clientCert', 'must be none, optional or required');
  if (mode !== ClientCertMode.None && s.clientCa === undefined)
    throw bad('clientCa', `is required when clientCert is ${mode}`);
  for (const key of ['ciphers', 'sigalgs', 'groups'] as const) {
    const v = s[key];
    if (v !== undefined && (typeof v !== 'string' || v === ''))
      throw bad(key, 'must be a non-empty string');
  }
  if (s.sessionTickets !== undefined && typeof s.sessionTickets !== 'boolean')
    throw bad('sessionTickets', 'must be true or false');
  checkInteger(s.sessionTimeoutSeconds, 'sessionTimeoutSeconds', 1, 86_400 * 7);
  checkInteger(s.sessionCacheSize, 'sessionCacheSize', 0, 10_000_000);
  checkInteger(s.handshakeTimeoutMs, 'handshakeTimeoutMs', 1, 3_600_000);
  checkInteger(s.watchDebounceMs, 'watchDebounceMs', 0, 3_600_000);
  checkInteger(s.maxHandshakes, 'maxHandshakes', 1, 10_000_000);
  return settings;
}

function checkCertSource(source: TlsCertSource, key: string): void {
  if (typeof source !== 'object' || source === null)
    throw bad(key, 'must be {certPath, keyPath} or {cert, key}');
  if ('certPath' in source) {
    if (typeof source.certPath !== 'string' || source.certPath === '')
      throw bad(`${key}.certPath`, 'must be a path');
    if (typeof source.keyPath !== 'string' || source.keyPath === '')
      throw bad(`${key}.keyPath`, 'must be a path');
  } else if (!('cert' in source) || !('key' in source)) {
    throw bad(key, 'must be {certPath, keyPath} or {cert, key}');
  }
}

function checkInteger(v: number | undefined, key: string, min: number, max: number): void {
  if (v !== undefined && !(Number.isSafeInteger(v) && v >= min && v <= max))
    throw bad(key, `must be an integer from ${min} to ${max}, got ${v}`);
}

function bad(key: string, what: string): PingoraError {
  return PingoraError.explain(ErrorType.ConfigError, `TLS settings: ${key} ${what}`);
}
