/**
 * TCP health check (Pingora's TcpHealthCheck): healthy when a TCP connection
 * (and, with `tls`, a TLS handshake) to the backend completes within the
 * connect timeout. The connection is closed at once.
 */
import type { Backend } from '../backend.ts';
import { connectBackend, type TlsCheckOptions } from './connect.ts';
import type { HealthCheck, ThresholdOptions } from './health-check.ts';
import { positiveInt, threshold } from './options.ts';

export interface TcpHealthCheckOptions extends ThresholdOptions {
  /** Default 1000. */
  connectTimeoutMs?: number;
  tls?: TlsCheckOptions;
  /** Check this port of the backend's address instead of its own. */
  portOverride?: number;
}

export class TcpHealthCheck implements HealthCheck {
  readonly consecutiveSuccess: number;
  readonly consecutiveFailure: number;
  readonly connectTimeoutMs: number;
  readonly timeoutMs: number;
  readonly #tls: TlsCheckOptions | undefined;
  readonly #port: number | undefined;

  constructor(options: TcpHealthCheckOptions = {}) {
    this.consecutiveSuccess = threshold(options.consecutiveSuccess, 'consecutiveSuccess');
    this.consecutiveFailure = threshold(options.consecutiveFailure, 'consecutiveFailure');
    this.connectTimeoutMs = positiveInt(options.connectTimeoutMs ?? 1000, 'connectTimeoutMs');
    // The runner's limit sits just past our own, which fires first with a precise error.
    this.timeoutMs = this.connectTimeoutMs + 1000;
    this.#tls = options.tls;
    this.#port =
      options.portOverride === undefined
        ? undefined
        : positiveInt(options.portOverride, 'portOverride', 65535);
  }

  healthThreshold(success: boolean): number {
    return success ? this.consecutiveSuccess : this.consecutiveFailure;
  }

  async check(backend: Backend): Promise<void> {
    const socket = await connectBackend(backend, {
      timeoutMs: this.connectTimeoutMs,
      tls: this.#tls,
      port: this.#port,
    });
    socket.destroy();
  }
}
