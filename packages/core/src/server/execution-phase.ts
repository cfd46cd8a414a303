/**
 * The phases a Server goes through (Pingora's ExecutionPhase), in order:
 * Setup, Bootstrap, BootstrapComplete, Running, then one of the shutdown
 * paths and Terminated. Code subscribes with `server.onPhase()`; tools listen
 * on the `pingora-ts:core:phase` diagnostics channel (and `:service` for
 * each service starting, ready, stopped or failed).
 */
import { channel } from 'node:diagnostics_channel';

export const ExecutionPhase = {
  /** Created, not started. */
  Setup: 'Setup',
  /** Services are being prepared (configuration checked, dependency graph built). */
  Bootstrap: 'Bootstrap',
  /** Bootstrap done; services may start. */
  BootstrapComplete: 'BootstrapComplete',
  /** Services run; waiting for a shutdown request. */
  Running: 'Running',
  /** SIGQUIT: a new process takes over; listening sockets are being handed over. */
  GracefulUpgradeTransferringFds: 'GracefulUpgradeTransferringFds',
  /** Sockets handed over; giving the new process a moment before we stop accepting. */
  GracefulUpgradeCloseTimeout: 'GracefulUpgradeCloseTimeout',
  /** SIGTERM: stop accepting, let in-flight work finish. */
  GracefulTerminate: 'GracefulTerminate',
  /** The shutdown has begun. */
  ShutdownStarted: 'ShutdownStarted',
  /** Waiting up to grace_period_seconds for in-flight work. */
  ShutdownGracePeriod: 'ShutdownGracePeriod',
  /** Giving what is left graceful_shutdown_timeout_seconds, then closing it. */
  ShutdownRuntimes: 'ShutdownRuntimes',
  /** Everything stopped. */
  Terminated: 'Terminated',
} as const;

export type ExecutionPhase = (typeof ExecutionPhase)[keyof typeof ExecutionPhase];

/** Message published on the phase channel. */
export interface PhaseEvent {
  readonly phase: ExecutionPhase;
  readonly at: number;
}

export const phaseChannel = channel('pingora-ts:core:phase');

/** Message published on the service channel as each service moves along. */
export interface ServiceEvent {
  readonly service: string;
  readonly state: 'starting' | 'ready' | 'stopped' | 'failed';
  readonly at: number;
}

export const serviceChannel = channel('pingora-ts:core:service');
