/**
 * Opens the TCP (or TLS) connection a health check needs to a backend, with
 * a connect timeout covering the TLS handshake too. Failures come back as
 * PingoraErrors from the upstream side; the socket never outlives a failure.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import { ErrorSource, ErrorType, PingoraError, toPingoraError } from '@pingora-ts/error';
import type { Backend } from '../backend.ts';

export interface TlsCheckOptions {
  /** SNI and the name the certificate must match. */
  servername: string;
  /** Trusted CA certificates (PEM); default Node's bundled roots. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Default true. False accepts any certificate (only for tests). */
  rejectUnauthorized?: boolean;
}

export interface ConnectOptions {
  timeoutMs: number;
  tls?: TlsCheckOptions | undefined;
  /** Connect to this port instead of the backend's (Pingora's port_override). */
  port?: number | undefined;
}

/** Resolves with a connected (and, with `tls`, handshaken) socket. */
export function connectBackend(backend: Backend, options: ConnectOptions): Promise<Socket> {
  const addr = backend.socketAddr;
  const tls = options.tls;
  const target =
    addr.kind === 'unix'
      ? { path: addr.path }
      : { host: addr.address, port: options.port ?? addr.port, family: addr.family };
  return new Promise((resolve, reject) => {
    let socket: Socket;
    try {
      if (tls === undefined) {
        socket = netConnect(target);
      } else {
        const tlsOptions: ConnectionOptions = {
          ...target,
          servername: tls.servername,
          rejectUnauthorized: tls.rejectUnauthorized ?? true,
          ...(tls.ca === undefined ? {} : { ca: tls.ca }),
        };
        socket = tlsConnect(tlsOptions);
      }
    } catch (err) {
      reject(
        toPingoraError(err, {
          phase: 'connect',
          source: ErrorSource.Upstream,
          context: `health check connect to ${backend.addr}`,
        }),
      );
      return;
    }
    const timer = setTimeout(() => {
      fail(
        PingoraError.create(
          ErrorType.ConnectTimedout,
          ErrorSource.Upstream,
          `health check connect to ${backend.addr} timed out after ${options.timeoutMs}ms`,
        ),
      );
    }, options.timeoutMs);
    const onError = (err: Error) =>
      fail(
        toPingoraError(err, {
          phase: tls === undefined ? 'connect' : 'tls',
          source: ErrorSource.Upstream,
          context: `health check connect to ${backend.addr}`,
        }),
      );
    const onConnect = () => {
      clearTimeout(timer);
      socket.off('error', onError);
      // Until the caller listens, a late error must not crash the process.
      socket.on('error', ignore);
      resolve(socket);
    };
    function fail(error: PingoraError) {
      clearTimeout(timer);
      socket.off(tls === undefined ? 'connect' : 'secureConnect', onConnect);
      socket.destroy();
      reject(error);
    }
    socket.once('error', onError);
    socket.once(tls === undefined ? 'connect' : 'secureConnect', onConnect);
  });
}

function ignore(): void {}
