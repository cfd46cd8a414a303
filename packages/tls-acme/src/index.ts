/**
 * @pingora-ts/tls-acme: certificates issued and renewed over ACME
 * (acme-client), stored on disk, answered with http-01 (in front of the
 * plaintext app) or tls-alpn-01 (inside the TLS listener's handshake), and
 * swapped into the TLS listener per handshake without a restart.
 */
export type { ChallengeType } from './acme-order.ts';
export { AcmeManager, type AcmeManagerOptions, DEFAULT_CHALLENGES } from './acme-manager.ts';
export { type IssuedCertificate, renewAt } from './certificate-info.ts';
export { MAX_PENDING_CHALLENGES, PendingChallenges } from './challenges.ts';
export { type AcmeClock, realClock } from './clock.ts';
export { type AcmeOrderEvent, type AcmeScheduledEvent, acmeChannels } from './events.ts';
export { ACME_CHALLENGE_PREFIX, AcmeHttpApp } from './http01.ts';
export {
  type AcmeStorage,
  checkName,
  FileStorage,
  type ReleaseLock,
  type StoredCertificate,
} from './storage.ts';
export { acmeConfigSchema, acmeOptionsFromServer } from './acme-config.ts';
