/**
 * The CONNECT handshake over a fresh connection to a proxy: writes
 * `CONNECT host:port HTTP/1.1` with Host and the configured headers, reads
 * the response head (2xx opens the tunnel, anything else is a
 * ConnectProxyFailure carrying the status) and puts back any bytes that
 * followed the head so the tunnel's reader sees them.
 */
import type { Socket } from 'node:net';
import { ErrorSource, ErrorType, PingoraError, toPingoraError } from '@pingora-ts/error';
import { type ConnectProxy, connectAuthority } from '../upstreams/connect-proxy.ts';
import { type ConnectResponse, parseConnectResponse } from './connect-response.ts';

/** The CONNECT request head for `proxy`. */
export function connectRequestHead(proxy: ConnectProxy): string {
  const authority = connectAuthority(proxy);
  let head = `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n`;
  for (const [name, value] of proxy.headers) head += `${name}: ${value}\r\n`;
  return `${head}\r\n`;
}

/**
 * Runs the handshake on `socket`. Resolves with the proxy's response once the
 * tunnel is open; rejects (leaving the socket to the caller to destroy) when
 * the proxy refuses, misbehaves, closes, or `timeoutMs` passes.
 */
export function proxyHandshake(
  socket: Socket,
  proxy: ConnectProxy,
  timeoutMs: number | undefined,
  context: string,
): Promise<ConnectResponse> {
  return new Promise((resolve, reject) => {
    let received: Buffer = Buffer.alloc(0);
    let timer: NodeJS.Timeout | undefined;
    const finish = (err: PingoraError | undefined, response?: ConnectResponse): void => {
      if (timer !== undefined) clearTimeout(timer);
      socket.removeListener('readable', onReadable);
      socket.removeListener('error', onError);
      socket.removeListener('close', onClose);
      socket.removeListener('end', onClose);
      if (err !== undefined) reject(err.moreContext(context));
      else resolve(response as ConnectResponse);
    };
    const onReadable = (): void => {
      // Bounded: read() drains a finite buffer, and parsing caps the head size.
      for (;;) {
        const chunk = socket.read() as Buffer | null;
        if (chunk === null) return;
        received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
        let response: ConnectResponse | undefined;
        try {
          response = parseConnectResponse(received);
        } catch (err) {
          finish(toPingoraError(err));
          return;
        }
        if (response === undefined) continue;
        if (response.status < 200 || response.status > 299) {
          finish(
            PingoraError.create(
              ErrorType.ConnectProxyFailure,
              ErrorSource.Upstream,
              `CONNECT proxy answered ${response.status} ${response.reason}`.trimEnd(),
            ),
          );
          return;
        }
        // The tunnel's first bytes go back to the socket for its next reader.
        if (response.rest.length > 0) socket.unshift(response.rest);
        finish(undefined, response);
        return;
      }
    };
    const onError = (err: Error): void => {
      finish(
        PingoraError.create(
          ErrorType.ConnectProxyFailure,
          ErrorSource.Upstream,
          'CONNECT proxy connection failed',
          err,
        ),
      );
    };
    const onClose = (): void => {
      finish(
        PingoraError.create(
          ErrorType.ConnectProxyFailure,
          ErrorSource.Upstream,
          `CONNECT proxy closed the connection after ${received.length} response bytes`,
        ),
      );
    };
    if (timeoutMs !== undefined) {
      timer = setTimeout(() => {
        finish(
          PingoraError.create(
            ErrorType.ConnectTimedout,
            ErrorSource.Upstream,
            `timeout ${timeoutMs}ms establishing CONNECT proxy`,
          ),
        );
      }, timeoutMs);
    }
    socket.on('readable', onReadable);
    socket.on('error', onError);
    socket.on('close', onClose);
    socket.on('end', onClose);
    socket.write(connectRequestHead(proxy), 'latin1');
  });
}
