/**
 * EchoApp: the smallest ServerApp. It writes back every byte it reads, with
 * backpressure (pipe), closes idle connections, and on a graceful shutdown
 * ends each connection once what it already read has been echoed.
 */
import { configField, defineConfigSchema, type ServerApp, type Stream } from '@pingora-ts/core';

/** The app's settings: the `echo:` section of the configuration file. */
export const echoConfigSchema = defineConfigSchema({
  /** `ip:port`, `[ipv6]:port` or `unix:/path`. */
  listen: configField.addressList({ default: ['127.0.0.1:6190'], maxItems: 64 }),
  idleTimeoutSeconds: configField.number({
    key: 'idle_timeout_seconds',
    default: 60,
    min: 0.01,
    max: 86_400,
  }),
});

export type EchoConfig = ReturnType<typeof echoConfigSchema.read>;

export class EchoApp implements ServerApp {
  readonly #idleMs: number;

  constructor(config: Pick<EchoConfig, 'idleTimeoutSeconds'>) {
    this.#idleMs = config.idleTimeoutSeconds * 1000;
  }

  processNewConnection(stream: Stream, shutdown: AbortSignal): Promise<void> {
    const socket = stream.socket;
    return new Promise<void>((resolve) => {
      const stop = () => socket.end();
      socket.setTimeout(this.#idleMs, () => socket.destroy());
      socket.once('close', () => {
        shutdown.removeEventListener('abort', stop);
        resolve();
      });
      // Half-open is off: when the peer ends, pipe ends our side after the echo.
      socket.pipe(socket);
      if (shutdown.aborted) stop();
      else shutdown.addEventListener('abort', stop, { once: true });
    });
  }
}
