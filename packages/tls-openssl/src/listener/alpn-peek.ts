/**
 * Reads a socket's ClientHello far enough to see the ALPN list, then puts
 * the bytes back (`unshift`) for the TLS socket that wraps it next. Only
 * listeners with ALPN configured pay for it; the wait is bounded by the
 * ClientHello size limit and the acceptor's handshake deadline.
 */
import type { Socket } from 'node:net';
import { INCOMPLETE, MAX_HELLO_BYTES, offeredAlpn } from './client-hello.ts';

/**
 * Calls `done` once with the offered protocols (undefined: not readable, let
 * OpenSSL decide). A client that ends first is destroyed before `done`.
 */
export function peekAlpn(socket: Socket, done: (offered: string[] | undefined) => void): void {
  let seen: Buffer | undefined;
  const finish = (offered: string[] | undefined, ended = false) => {
    socket.off('data', onData);
    socket.off('end', onEnd);
    socket.pause();
    // After its end a stream takes nothing back: the client is gone anyway.
    if (ended) socket.destroy();
    else if (seen !== undefined && !socket.destroyed) socket.unshift(seen);
    done(offered);
  };
  const onData = (chunk: Buffer) => {
    seen = seen === undefined ? chunk : Buffer.concat([seen, chunk]);
    const offered = offeredAlpn(seen);
    if (offered !== INCOMPLETE) finish(offered);
    else if (seen.length >= MAX_HELLO_BYTES) finish(undefined);
  };
  const onEnd = () => finish(undefined, true);
  socket.on('data', onData);
  socket.on('end', onEnd);
}
