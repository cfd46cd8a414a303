/**
 * The byte tunnel after a 101 Switching Protocols (WebSocket and other
 * upgrades): both connections are handed over by their sessions and piped
 * into each other with stream backpressure. Either side closing or idling
 * past the limit closes both; the upstream connection is never pooled.
 */
import type { TunnelHandoff } from '@pingora-ts/core/h1';

/** Pipes `down` and `up` both ways until both are closed. */
export function startTunnel(
  down: TunnelHandoff,
  up: TunnelHandoff,
  idleTimeoutMs: number,
): Promise<void> {
  const a = down.socket;
  const b = up.socket;
  return new Promise<void>((resolve) => {
    let open = 2;
    const closed = () => {
      open--;
      if (open === 0) resolve();
    };
    const teardown = () => {
      a.destroy();
      b.destroy();
    };
    a.once('close', closed);
    b.once('close', closed);
    // Errors end the tunnel; the listeners also keep them from crashing the process.
    a.on('error', teardown);
    b.on('error', teardown);
    a.once('close', teardown);
    b.once('close', teardown);
    if (idleTimeoutMs > 0) {
      a.setTimeout(idleTimeoutMs, teardown);
      b.setTimeout(idleTimeoutMs, teardown);
    }
    // Bytes each session read past its head belong to the other side.
    if (down.head.length > 0) b.write(down.head);
    if (up.head.length > 0) a.write(up.head);
    a.pipe(b);
    b.pipe(a);
    a.resume();
    b.resume();
  });
}
