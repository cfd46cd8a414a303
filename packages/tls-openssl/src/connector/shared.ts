/**
 * Process-wide upstream TLS backends: connectors built from the same trust
 * settings share one OpensslUpstreamTls, so the root-store context is built
 * once per process and TLS sessions are resumed across connectors. This is
 * what httpProxyService, HttpProxy and the health checks use by default.
 */
import { OpensslUpstreamTls } from './openssl-upstream-tls.ts';
import { TrustedRoots } from './trust-store.ts';

/** The ServerConf field the upstream TLS backend reads (structural). */
export interface UpstreamTlsServerConf {
  readonly caFile: string | undefined;
  /** With SSLKEYLOGFILE set, append upstream TLS secrets to that file. */
  readonly upstreamDebugSslKeylog?: boolean | undefined;
}

/** Distinct shared backends kept (one per ca_file in practice). */
const MAX_SHARED = 16;
const shared = new Map<string, OpensslUpstreamTls>();

/**
 * The shared backend trusting `caFile` (else the system store, or Node's
 * bundled roots with `roots: 'bundled'`). Construct OpensslUpstreamTls
 * directly for a private one with its own cache sizes.
 */
export function upstreamTls(
  options: {
    caFile?: string | undefined;
    roots?: TrustedRoots | undefined;
    keylogFile?: string | undefined;
  } = {},
): OpensslUpstreamTls {
  const key = JSON.stringify([
    options.caFile ?? null,
    options.roots ?? TrustedRoots.System,
    options.keylogFile ?? null,
  ]);
  let tls = shared.get(key);
  if (tls === undefined) {
    tls = new OpensslUpstreamTls(options);
    if (shared.size < MAX_SHARED) shared.set(key, tls);
  }
  return tls;
}

/** The shared backend for a server configuration (its ca_file and upstream_debug_ssl_keylog). */
export function upstreamTlsFromServerConf(conf: UpstreamTlsServerConf): OpensslUpstreamTls {
  const keylog = process.env.SSLKEYLOGFILE;
  return upstreamTls({
    caFile: conf.caFile,
    keylogFile: conf.upstreamDebugSslKeylog === true && keylog ? keylog : undefined,
  });
}
