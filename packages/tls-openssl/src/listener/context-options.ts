/**
 * The one place a listener's SecureContext options are put together. Every
 * context (default, per-SNI, from the certificate callback, after a reload
 * or a ticket-key rotation) is built from the full set here, because
 * node:tls resets any option a new context or `setSecureContext` is not
 * given: ciphers, versions, client CA and ticket keys must never be dropped.
 */
import { constants } from 'node:crypto';
import { createSecureContext, type SecureContext, type SecureContextOptions } from 'node:tls';
import type { TlsPem, TlsSettings } from '@pingora-ts/core';
import { DEFAULT_TLS_CIPHERS, DEFAULT_TLS_SESSION_TIMEOUT_SECONDS } from '@pingora-ts/core/tls';
import { ErrorType, PingoraError } from '@pingora-ts/error';
import type { LoadedCert } from './pem-files.ts';

/** Everything of a context but its certificate and key. */
export type BaseContextOptions = Readonly<SecureContextOptions>;

export function baseContextOptions(
  settings: TlsSettings,
  clientCa: TlsPem | undefined,
  ticketKey: Buffer,
): BaseContextOptions {
  const options: SecureContextOptions = {
    minVersion: settings.minVersion ?? 'TLSv1.2',
    maxVersion: settings.maxVersion ?? 'TLSv1.3',
    ticketKeys: ticketKey,
    sessionTimeout: settings.sessionTimeoutSeconds ?? DEFAULT_TLS_SESSION_TIMEOUT_SECONDS,
    // The server's cipher preference (tls.Server's default), on every SNI context too.
    honorCipherOrder: true,
    ciphers: settings.ciphers ?? DEFAULT_TLS_CIPHERS,
  };
  if (settings.sessionTickets === false) options.secureOptions = constants.SSL_OP_NO_TICKET;
  if (settings.sigalgs !== undefined) options.sigalgs = settings.sigalgs;
  if (settings.groups !== undefined) options.ecdhCurve = settings.groups;
  if (clientCa !== undefined) options.ca = clientCa as SecureContextOptions['ca'];
  return options;
}

/** The options of a context serving `cert` (for createSecureContext or setSecureContext). */
export function contextOptions(
  base: BaseContextOptions,
  cert: LoadedCert | undefined,
): SecureContextOptions {
  if (cert === undefined) return { ...base };
  return {
    ...base,
    cert: cert.cert as SecureContextOptions['cert'],
    key: cert.key as SecureContextOptions['key'],
  };
}

/** Builds a context; a bad PEM, a key not matching its certificate or a bad cipher string is a ConfigError. */
export function buildContext(
  base: BaseContextOptions,
  cert: LoadedCert | undefined,
): SecureContext {
  try {
    return createSecureContext(contextOptions(base, cert));
  } catch (cause) {
    const where = cert === undefined ? 'settings' : cert.where;
    throw PingoraError.because(
      ErrorType.ConfigError,
      `TLS ${where}: ${(cause as Error).message ?? 'cannot build a TLS context'}`,
      cause,
    );
  }
}
