/**
 * Diagnostics channels of the ACME manager: one `order` event per order
 * attempt (success or failure, with its duration) and one `scheduled` event
 * each time a name's next renewal or retry is planned.
 */
import { channel } from 'node:diagnostics_channel';

export interface AcmeOrderEvent {
  readonly name: string;
  readonly ok: boolean;
  readonly durationMs: number;
  /** Consecutive failures so far for this name (0 after a success). */
  readonly failures: number;
  readonly error?: string;
  /** The new certificate's serial and expiry, on success. */
  readonly serial?: string;
  readonly notAfter?: Date;
}

export interface AcmeScheduledEvent {
  readonly name: string;
  /** When the next order starts (epoch ms). */
  readonly at: number;
  readonly reason: 'renewal' | 'retry' | 'missing';
}

export const acmeChannels = {
  order: channel('pingora-ts:tls-acme:order'),
  scheduled: channel('pingora-ts:tls-acme:scheduled'),
} as const;
