/**
 * The `acme:` section of the server's YAML file, read through the server's
 * config mechanism (so `-t` checks it and misspelt keys are caught with
 * their line): directory_url, email, names, challenges, storage_path,
 * terms_agreed, and optional directory_ca and renew_fraction.
 */
import { readFileSync } from 'node:fs';
import { configField, defineConfigSchema, type Server } from '@pingora-ts/core';
import { ErrorType, PingoraError } from '@pingora-ts/error';
import type { AcmeManagerOptions } from './acme-manager.ts';
import type { ChallengeType } from './acme-order.ts';
import { checkName, FileStorage } from './storage.ts';

const CHALLENGES = new Set<string>(['http-01', 'tls-alpn-01']);

const checkUrl = (v: string) => {
  try {
    const u = new URL(v);
    return u.protocol === 'https:' ? undefined : 'expected an https:// URL';
  } catch {
    return 'expected a URL';
  }
};

export const acmeConfigSchema = defineConfigSchema({
  directoryUrl: configField.string({ key: 'directory_url', required: true, check: checkUrl }),
  email: configField.string({
    check: (v) => (/^[^@\s]+@[^@\s]+$/.test(v) ? undefined : 'expected an e-mail address'),
  }),
  names: configField.stringList({
    maxItems: 100,
    item: (v) => {
      try {
        checkName(v);
        return undefined;
      } catch (err) {
        return (err as Error).message;
      }
    },
  }),
  challenges: configField.stringList({
    default: ['http-01', 'tls-alpn-01'],
    maxItems: 2,
    item: (v) => (CHALLENGES.has(v) ? undefined : 'expected http-01 or tls-alpn-01'),
  }),
  storagePath: configField.string({ key: 'storage_path', required: true }),
  termsAgreed: configField.boolean({
    key: 'terms_agreed',
    required: true,
    check: (v) => (v ? undefined : "the CA's terms of service must be agreed to (true)"),
  }),
  /** A PEM file of extra CAs trusted for the directory's HTTPS (a test CA). */
  directoryCa: configField.string({ key: 'directory_ca' }),
  renewFraction: configField.number({ key: 'renew_fraction', min: 0.01, max: 0.99 }),
});

/**
 * The manager options from the `section` (default `acme`) of the server's
 * file, or undefined when the file has no such section. Without `names`,
 * `defaultNames` apply (an app's TLS SNI names; wildcards are skipped).
 */
export function acmeOptionsFromServer(
  server: Server,
  section = 'acme',
  defaultNames: readonly string[] = [],
): Omit<AcmeManagerOptions, 'logger' | 'clock'> | undefined {
  // The root is a YAML mapping (core checks that when it loads the file).
  const root = server.source?.root as { has?(key: string): boolean } | undefined;
  const present = typeof root?.has === 'function' && root.has(section);
  if (!present) {
    server.claimConfigKeys(section);
    return undefined;
  }
  const c = server.appConfig(acmeConfigSchema, section);
  let directoryCa: Buffer | undefined;
  if (c.directoryCa !== undefined) {
    try {
      directoryCa = readFileSync(c.directoryCa);
    } catch (err) {
      throw PingoraError.because(
        ErrorType.ConfigError,
        `${section}.directory_ca: cannot read ${c.directoryCa}`,
        err,
      );
    }
  }
  const names = c.names ?? defaultNames.filter((n) => !n.startsWith('*.'));
  if (names.length === 0) {
    throw PingoraError.explain(
      ErrorType.ConfigError,
      `${section}.names: required (no names to order, and no TLS SNI names to take them from)`,
    );
  }
  for (const name of names) checkName(name);
  return {
    directoryUrl: c.directoryUrl,
    ...(c.email === undefined ? {} : { email: c.email }),
    termsOfServiceAgreed: c.termsAgreed,
    names,
    challenges: c.challenges as ChallengeType[],
    storage: new FileStorage(c.storagePath),
    ...(directoryCa === undefined ? {} : { directoryCa }),
    ...(c.renewFraction === undefined ? {} : { renewFraction: c.renewFraction }),
  };
}
