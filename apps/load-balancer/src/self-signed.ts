/**
 * `--gen-self-signed`: writes a self-signed certificate for localhost and
 * 127.0.0.1 (ECDSA P-256, one year) to the `tls.cert_path`/`key_path` of the
 * YAML file when they do not exist yet, with the openssl CLI. For trying
 * the TLS listener out; never for production.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { Server } from '@pingora-ts/core';
import { ErrorType, PingoraError } from '@pingora-ts/error';
import { isMap, type Node } from 'yaml';

export const GEN_SELF_SIGNED_FLAG = '--gen-self-signed';

/** The files written (empty when both existed). */
export function genSelfSigned(server: Server, section: string): string[] {
  const source = server.source;
  const at = (...path: string[]): unknown => {
    let n: Node | undefined = source?.root;
    for (const k of path) n = isMap(n) ? source?.resolve(n.get(k, true) as Node) : undefined;
    return (n as { value?: unknown } | undefined)?.value;
  };
  const certPath = at(section, 'tls', 'cert_path');
  const keyPath = at(section, 'tls', 'key_path');
  if (typeof certPath !== 'string' || typeof keyPath !== 'string') {
    throw PingoraError.explain(
      ErrorType.ConfigError,
      `${GEN_SELF_SIGNED_FLAG}: set ${section}.tls.cert_path and ${section}.tls.key_path first`,
    );
  }
  const base =
    source === undefined || source.name.startsWith('<') ? process.cwd() : dirname(source.name);
  const cert = isAbsolute(certPath) ? certPath : resolve(base, certPath);
  const key = isAbsolute(keyPath) ? keyPath : resolve(base, keyPath);
  if (existsSync(cert) && existsSync(key)) return [];
  mkdirSync(dirname(cert), { recursive: true });
  mkdirSync(dirname(key), { recursive: true });
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '365',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
  } catch (cause) {
    throw PingoraError.because(
      ErrorType.ConfigError,
      `${GEN_SELF_SIGNED_FLAG}: the openssl CLI failed (install openssl)`,
      cause,
    );
  }
  return [cert, key];
}
