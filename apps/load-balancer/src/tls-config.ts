/**
 * The `tls` setting of the gateway: certificate and key files, per-SNI
 * certificates, mTLS (client_ca_path, client_cert), protocol settings and
 * session options, read with core's ConfigSchema and turned into core's
 * TlsSettings. Relative paths are resolved against the YAML file's
 * directory; when `tls_listen` is in use the files are checked (readable,
 * and each key matching its certificate), so `-t` catches them.
 */
import { accessSync, constants, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import {
  type ConfigField,
  type ConfigValue,
  configField,
  defineConfigSchema,
  TicketKeys,
  type TlsSettings,
} from '@pingora-ts/core';
import { isMap, type Node, type Pair } from 'yaml';

const certFields = {
  certPath: configField.string({ key: 'cert_path', required: true }),
  keyPath: configField.string({ key: 'key_path', required: true }),
};
const certSchema = defineConfigSchema(certFields);
type CertPaths = ConfigValue<typeof certFields>;

/** A server name as written under `sni`: `api.example.com` or `*.example.com`. */
const SNI_NAME =
  /^(\*|[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)+$/i;

/** `sni: { <name>: { cert_path, key_path } }`: a mapping whose keys are server names. */
const sniField: ConfigField<Record<string, CertPaths> | undefined> = {
  key: 'sni',
  read(node, at) {
    if (node === undefined || (node as { value?: unknown }).value === null) return undefined;
    if (!isMap(node))
      throw at.source.error(
        node,
        at.key,
        'expected a mapping of server name to { cert_path, key_path }',
      );
    const out: Record<string, CertPaths> = {};
    for (const pair of node.items as Pair<Node, Node | null>[]) {
      const name = String((pair.key as { value?: unknown }).value);
      const key = `${at.key}.${name}`;
      if (!SNI_NAME.test(name))
        throw at.source.error(
          pair.key,
          key,
          'expected a server name such as api.example.com or *.example.com',
        );
      out[name] = certSchema.readMapping(at.source.resolve(pair.value ?? undefined), {
        source: at.source,
        key,
        parent: node,
      });
    }
    return out;
  },
};

const oneOf = (allowed: readonly string[]) => (v: string) =>
  allowed.includes(v) ? undefined : `expected one of ${allowed.join(', ')}`;

const tlsFields = {
  certPath: configField.string({ key: 'cert_path' }),
  keyPath: configField.string({ key: 'key_path' }),
  sni: sniField,
  clientCaPath: configField.string({ key: 'client_ca_path' }),
  clientCert: configField.string({
    key: 'client_cert',
    default: 'none',
    check: oneOf(['none', 'optional', 'required']),
  }),
  minVersion: configField.string({
    key: 'min_version',
    default: 'TLSv1.2',
    check: oneOf(['TLSv1.2', 'TLSv1.3']),
  }),
  ciphers: configField.string(),
  sigalgs: configField.string(),
  /** Key exchange groups (OpenSSL's "curves"), e.g. X25519MLKEM768:X25519:P-256. */
  groups: configField.string(),
  /**
   * ALPN offered on the TLS listeners: h2h1 (HTTP/2 preferred, HTTP/1.1
   * allowed; the default), h2 (HTTP/2 only) or h1 (HTTP/1.1 only).
   */
  alpn: configField.string({ default: 'h2h1', check: oneOf(['h1', 'h2', 'h2h1']) }),
  handshakeTimeoutMs: configField.integer({
    key: 'handshake_timeout_ms',
    default: 10_000,
    min: 1,
    max: 600_000,
  }),
  maxHandshakes: configField.integer({
    key: 'max_handshakes',
    default: 10_000,
    min: 1,
    max: 1_000_000,
  }),
  /** Server-side session cache; default 10000 with `session_tickets: false`, else 0 (tickets resume). */
  sessionCacheSize: configField.integer({
    key: 'session_cache_size',
    min: 0,
    max: 1_000_000,
  }),
  /** Issue session tickets (default true); false is nginx's `ssl_session_tickets off`. */
  sessionTickets: configField.boolean({ key: 'session_tickets', default: true }),
  ticketKeyRotationSeconds: configField.integer({
    key: 'ticket_key_rotation_seconds',
    min: 60,
    max: 604_800,
  }),
  watchFiles: configField.boolean({ key: 'watch_files', default: true }),
};
export const tlsField = configField.object(defineConfigSchema(tlsFields), { key: 'tls' });
export type RawTls = ConfigValue<typeof tlsFields>;

/** Refuses the value under `tls.<key>` with `message` (throws). */
export type RefuseTls = (key: string[], message: string) => never;

/**
 * Checks the cross-key rules of a TLS section in use and turns it into
 * core's TlsSettings; `configFile` anchors relative paths.
 */
export function settleTls(
  raw: RawTls,
  configFile: string | undefined,
  refuse: RefuseTls,
): TlsSettings {
  const base =
    configFile === undefined || configFile.startsWith('<') ? process.cwd() : dirname(configFile);
  const path = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  const readable = (p: string, key: string[]) => {
    try {
      accessSync(path(p), constants.R_OK);
    } catch (err) {
      refuse(
        key,
        `cannot read ${path(p)} (${(err as NodeJS.ErrnoException).code ?? 'error'}); make a test certificate with --gen-self-signed`,
      );
    }
    return path(p);
  };
  if (raw.certPath === undefined) refuse(['cert_path'], 'required when tls_listen is set');
  if (raw.keyPath === undefined) refuse(['key_path'], 'required when tls_listen is set');
  if (raw.clientCert !== 'none' && raw.clientCaPath === undefined)
    refuse(['client_ca_path'], `required when client_cert is ${raw.clientCert}`);
  if (raw.clientCert === 'none' && raw.clientCaPath !== undefined)
    refuse(['client_ca_path'], 'only used with client_cert optional or required');
  /** Readable files whose key belongs to the certificate. */
  const pair = (certPath: string, keyPath: string, at: string[]) => {
    const files = {
      certPath: readable(certPath, [...at, 'cert_path']),
      keyPath: readable(keyPath, [...at, 'key_path']),
    };
    try {
      createSecureContext({ cert: readFileSync(files.certPath), key: readFileSync(files.keyPath) });
    } catch (err) {
      refuse([...at, 'cert_path'], `does not load with its key_path: ${(err as Error).message}`);
    }
    return files;
  };
  const sni: Record<string, { certPath: string; keyPath: string }> = {};
  for (const [name, files] of Object.entries(raw.sni ?? {})) {
    sni[name] = pair(files.certPath, files.keyPath, ['sni', name]);
  }
  let ticketKeys: TicketKeys | undefined;
  if (raw.ticketKeyRotationSeconds !== undefined) {
    ticketKeys = new TicketKeys(undefined, { name: 'load_balancer' });
    ticketKeys.rotateEvery(raw.ticketKeyRotationSeconds * 1000);
  }
  const settings: TlsSettings = {
    cert: pair(raw.certPath as string, raw.keyPath as string, []),
    sni,
    clientCert: raw.clientCert as 'none' | 'optional' | 'required',
    minVersion: raw.minVersion as 'TLSv1.2' | 'TLSv1.3',
    handshakeTimeoutMs: raw.handshakeTimeoutMs,
    maxHandshakes: raw.maxHandshakes,
    ...(raw.sessionCacheSize === undefined ? {} : { sessionCacheSize: raw.sessionCacheSize }),
    sessionTickets: raw.sessionTickets,
    watchFiles: raw.watchFiles,
    ...(raw.clientCaPath === undefined
      ? {}
      : { clientCa: { path: readable(raw.clientCaPath, ['client_ca_path']) } }),
    ...(raw.ciphers === undefined ? {} : { ciphers: raw.ciphers }),
    ...(raw.sigalgs === undefined ? {} : { sigalgs: raw.sigalgs }),
    ...(raw.groups === undefined ? {} : { groups: raw.groups }),
    alpn: raw.alpn as 'h1' | 'h2' | 'h2h1',
    ...(ticketKeys === undefined ? {} : { ticketKeys }),
  };
  return settings;
}
