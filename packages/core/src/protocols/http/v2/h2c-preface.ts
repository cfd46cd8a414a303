/**
 * h2c prior knowledge (RFC 9113 3.3) on a plaintext port that also serves
 * HTTP/1: the first bytes decide. A connection whose first 24 bytes are the
 * HTTP/2 preface is HTTP/2; anything that differs earlier is HTTP/1. The
 * bytes read are pushed back so whichever session follows reads them again.
 */
import type { Socket } from 'node:net';

/** The client connection preface. */
export const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** What the first bytes said: h2, h1, or nothing (closed or timed out before a byte). */
export type PrefaceVerdict = 'h2' | 'h1' | 'none';

/** Compares what arrived so far with the preface: a verdict, or undefined while it may still match. */
function judge(bytes: Buffer): PrefaceVerdict | undefined {
  const n = Math.min(bytes.length, H2_PREFACE.length);
  if (bytes.compare(H2_PREFACE, 0, n, 0, n) !== 0) return 'h1';
  return n === H2_PREFACE.length ? 'h2' : undefined;
}

/**
 * Reads from `socket` until the preface matches or cannot, within
 * `timeoutMs`; the socket is left paused with the bytes unshifted.
 */
export function peekPreface(
  socket: Socket,
  timeoutMs: number,
  shutdown?: AbortSignal,
): Promise<PrefaceVerdict> {
  return new Promise((resolve) => {
    let seen: Buffer = Buffer.alloc(0);
    const done = (verdict: PrefaceVerdict): void => {
      clearTimeout(timer);
      shutdown?.removeEventListener('abort', onEnd);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onEnd);
      socket.pause();
      if (seen.length > 0) socket.unshift(seen);
      resolve(verdict);
    };
    const onData = (chunk: Buffer): void => {
      seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
      const verdict = judge(seen);
      if (verdict !== undefined) done(verdict);
    };
    // A client gone before the verdict leaves nothing to serve; a slow one gets HTTP/1's 408.
    const onEnd = (): void => done('none');
    const timer = setTimeout(() => done(seen.length === 0 ? 'none' : 'h1'), timeoutMs);
    // A graceful shutdown does not wait for a client that has not said what it speaks.
    shutdown?.addEventListener('abort', onEnd, { once: true });
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('close', onEnd);
    socket.on('error', onEnd);
  });
}
