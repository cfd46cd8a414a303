/**
 * Reads a finished server handshake off a TLSSocket into core's TlsDigest
 * (version, cipher, ALPN, SNI, resumption) and the client certificate into
 * TlsClientCert (subject, SANs, serial, SHA-256 fingerprint, validity).
 */
import type { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { TlsClientCert, TlsDigest } from '@pingora-ts/core';

export function clientCertOf(socket: TLSSocket): TlsClientCert | undefined {
  const x509 = socket.getPeerX509Certificate();
  if (x509 === undefined) return undefined;
  return describeCert(x509, socket.authorized, socket.authorizationError as unknown);
}

export function describeCert(
  x509: X509Certificate,
  authorized: boolean,
  authorizationError: unknown,
): TlsClientCert {
  const fields = x509.subject.split('\n');
  return {
    subject: fields.join(', '),
    commonName: field(fields, 'CN'),
    organization: field(fields, 'O'),
    issuer: x509.issuer.split('\n').join(', '),
    sans: splitSans(x509.subjectAltName),
    serial: x509.serialNumber.toUpperCase(),
    fingerprint256: x509.fingerprint256,
    validFrom: x509.validFrom,
    validTo: x509.validTo,
    authorized,
    authorizationError:
      authorizationError === undefined || authorizationError === null
        ? undefined
        : String((authorizationError as { code?: unknown }).code ?? authorizationError),
  };
}

export function tlsDigestOf(
  socket: TLSSocket,
  clientCert: TlsClientCert | undefined,
  handshakeMs: number,
  extension: unknown,
): TlsDigest {
  const alpn = socket.alpnProtocol;
  const sni = (socket as { servername?: string | false | null }).servername;
  return {
    version: socket.getProtocol() ?? 'unknown',
    cipher: socket.getCipher()?.standardName ?? 'unknown',
    alpn: typeof alpn === 'string' && alpn !== '' ? alpn : undefined,
    sni: typeof sni === 'string' && sni !== '' ? sni : undefined,
    resumed: socket.isSessionReused(),
    clientCert,
    handshakeMs,
    extension,
  };
}

function field(fields: readonly string[], name: string): string | undefined {
  const prefix = `${name}=`;
  const found = fields.find((f) => f.startsWith(prefix));
  return found === undefined ? undefined : found.slice(prefix.length);
}

/** `DNS:a.example, IP Address:10.0.0.1` → entries (quoted values with commas are kept whole). */
function splitSans(value: string | undefined): string[] {
  if (value === undefined || value === '') return [];
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (const ch of value) {
    if (ch === '"') quoted = !quoted;
    if (ch === ',' && !quoted) {
      out.push(current.trim());
      current = '';
    } else {
      current += ch;
    }
  }
  if (current.trim() !== '') out.push(current.trim());
  return out;
}
