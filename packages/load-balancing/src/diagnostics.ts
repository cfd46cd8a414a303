/**
 * diagnostics_channel events of this package. `pingora-ts:load-balancing:health`
 * carries one HealthChangeEvent each time a backend becomes ready or stops
 * being ready, whatever the reason; metrics exporters subscribe to it.
 */
import { channel } from 'node:diagnostics_channel';
import type { PingoraError } from '@pingora-ts/error';
import type { Backend } from './backend.ts';

export const HEALTH_CHANNEL_NAME = 'pingora-ts:load-balancing:health';
export const healthChannel = channel(HEALTH_CHANNEL_NAME);

export type HealthChangeReason =
  /** An active health check flipped the backend's health. */
  | 'active-check'
  /** The proxy reported enough consecutive failures. */
  | 'passive'
  /** The passive cool-down ended. */
  | 'passive-cooldown'
  /** Discovery or setEnable() changed whether it may serve. */
  | 'enablement';

export interface HealthChangeEvent {
  readonly backend: Backend;
  /** Whether select() may now return it. */
  readonly ready: boolean;
  readonly reason: HealthChangeReason;
  /** The failure behind an unhealthy change, when there is one. */
  readonly error: PingoraError | undefined;
}

export function publishHealthChange(event: HealthChangeEvent): void {
  if (healthChannel.hasSubscribers) healthChannel.publish(event);
}
