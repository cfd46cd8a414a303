/**
 * The `upstream_tls` setting: speak TLS to the upstreams, verified as
 * Pingora does by default (chain and name; the server's ca_file, else the
 * system store), with an SNI, an own CA bundle, an alternative CN and a
 * client certificate for mTLS. Files are read when the config is, so `-t`
 * names a missing one with its key and line. Proxying and health checks use it.
 */
import { readFileSync } from 'node:fs';
import {
  type ConfigValue,
  configField,
  defineConfigSchema,
  type HttpPeerInit,
} from '@pingora-ts/core';
import type { TlsCheckOptions } from '@pingora-ts/load-balancing';

const HOST_NAME = /^[A-Za-z0-9.\-_*]*$/;

const fields = {
  sni: configField.string({
    check: (v) => (HOST_NAME.test(v) ? undefined : 'expected a host name (or empty for none)'),
  }),
  caPath: configField.string({ key: 'ca_path' }),
  verifyCert: configField.boolean({ key: 'verify_cert', default: true }),
  verifyHostname: configField.boolean({ key: 'verify_hostname', default: true }),
  alternativeCn: configField.string({
    key: 'alternative_cn',
    check: (v) => (v !== '' && HOST_NAME.test(v) ? undefined : 'expected a host name'),
  }),
  clientCertPath: configField.string({ key: 'client_cert_path' }),
  clientKeyPath: configField.string({ key: 'client_key_path' }),
};

export const upstreamTlsField = configField.object(defineConfigSchema(fields), {
  key: 'upstream_tls',
});

type RawUpstreamTls = ConfigValue<typeof fields>;

export interface UpstreamTlsConfig {
  /** SNI and the name the certificate must match; '' sends none (the certificate must name the IP). */
  readonly sni: string;
  /** PEM of the CAs to trust instead of ca_file / the system store. */
  readonly ca: string | undefined;
  readonly verifyCert: boolean;
  readonly verifyHostname: boolean;
  readonly alternativeCn: string | undefined;
  readonly clientCert: { readonly cert: string; readonly key: string } | undefined;
}

/** Refuses the value under `upstream_tls.<key>` with `message` (throws). */
export type Refuse = (key: string, message: string) => never;

export function settleUpstreamTls(raw: RawUpstreamTls, refuse: Refuse): UpstreamTlsConfig {
  const read = (key: string, path: string | undefined, marker: string): string | undefined => {
    if (path === undefined) return undefined;
    let text: string;
    try {
      text = readFileSync(path, 'latin1');
    } catch (err) {
      return refuse(key, `cannot read ${path}: ${(err as Error).message}`);
    }
    if (!text.includes(marker)) refuse(key, `${path} holds no PEM ${marker.toLowerCase()}`);
    return text;
  };
  if ((raw.clientCertPath === undefined) !== (raw.clientKeyPath === undefined)) {
    refuse(
      raw.clientCertPath === undefined ? 'client_key_path' : 'client_cert_path',
      'give client_cert_path and client_key_path together',
    );
  }
  const cert = read('client_cert_path', raw.clientCertPath, 'CERTIFICATE');
  const key = read('client_key_path', raw.clientKeyPath, 'PRIVATE KEY');
  return {
    sni: raw.sni ?? '',
    ca: read('ca_path', raw.caPath, 'CERTIFICATE'),
    verifyCert: raw.verifyCert,
    verifyHostname: raw.verifyHostname,
    alternativeCn: raw.alternativeCn,
    clientCert: cert !== undefined && key !== undefined ? { cert, key } : undefined,
  };
}

/** The HttpPeer settings for upstreams spoken to over TLS as `tls` says. */
export function peerTlsInit(tls: UpstreamTlsConfig): HttpPeerInit {
  return {
    tls: true,
    sni: tls.sni,
    clientCert: tls.clientCert,
    options: {
      ca: tls.ca,
      verifyCert: tls.verifyCert,
      verifyHostname: tls.verifyHostname,
      alternativeCn: tls.alternativeCn,
    },
  };
}

/** The same settings for the health checks. */
export function checkTlsOptions(tls: UpstreamTlsConfig): TlsCheckOptions {
  const o: TlsCheckOptions = {
    servername: tls.sni,
    rejectUnauthorized: tls.verifyCert,
    verifyHostname: tls.verifyHostname,
  };
  if (tls.ca !== undefined) o.ca = tls.ca;
  if (tls.alternativeCn !== undefined) o.alternativeCn = tls.alternativeCn;
  if (tls.clientCert !== undefined) o.clientCert = tls.clientCert;
  return o;
}
