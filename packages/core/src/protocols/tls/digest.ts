/**
 * TlsDigest: what the TLS handshake of a connection settled (Pingora's
 * SslDigest): version, cipher, ALPN, SNI, resumption, the client
 * certificate and how long the handshake took. It rides on the Stream's
 * digest, so every HTTP session, proxy phase and the logging phase read it.
 */

/** The client certificate of an mTLS connection, as the server saw it. */
export interface TlsClientCert {
  /** The subject on one line, `CN=client-1, O=Acme` (RFC 4514 order as in the certificate). */
  readonly subject: string;
  /** The subject's common name (CN), if any. */
  readonly commonName: string | undefined;
  /** The subject's organization (O), if any (Pingora's `organization`). */
  readonly organization: string | undefined;
  /** The issuer on one line. */
  readonly issuer: string;
  /** subjectAltName entries as printed by OpenSSL: `DNS:a.example`, `IP Address:10.0.0.1`, `URI:spiffe://…`. */
  readonly sans: readonly string[];
  /** The serial number in upper-case hex (Pingora's `serial_number`). */
  readonly serial: string;
  /** SHA-256 of the DER certificate, `AB:CD:…` (Pingora's `cert_digest`). */
  readonly fingerprint256: string;
  /** Not before / not after, as OpenSSL prints them. */
  readonly validFrom: string;
  readonly validTo: string;
  /** True when the certificate chains to the listener's client CA bundle. */
  readonly authorized: boolean;
  /** Why it is not authorized (an OpenSSL verify code such as `CERT_HAS_EXPIRED`). */
  readonly authorizationError: string | undefined;
}

export interface TlsDigest {
  /** `TLSv1.3`, `TLSv1.2`. */
  readonly version: string;
  /** The negotiated cipher suite in its standard name, e.g. `TLS_AES_256_GCM_SHA384`. */
  readonly cipher: string;
  /** The ALPN protocol agreed on (`h2`, `http/1.1`), undefined when none was. */
  readonly alpn: string | undefined;
  /** The server name the client asked for (SNI), undefined when it sent none. */
  readonly sni: string | undefined;
  /** True when the session was resumed (ticket or session id) instead of a full handshake. */
  readonly resumed: boolean;
  /** The client certificate, when the listener asked for one and the client sent it. */
  readonly clientCert: TlsClientCert | undefined;
  /** From the end of the ConnectionFilter to the handshake's completion (ms). */
  readonly handshakeMs: number;
  /** What the handshake-complete callback returned (Pingora's SslDigest extension). */
  readonly extension: unknown;
}
