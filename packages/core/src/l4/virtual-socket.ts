/**
 * VirtualSocket and L4Connect (Pingora's l4::virt and L4Connect): a custom L4
 * transport under the HTTP stack. A VirtualSocket is a net.Socket with no OS
 * handle whose bytes come from and go to user code (an in-process service, a
 * tunnel, a test double); a peer whose `options.customL4` is set is reached
 * through its `connect()` instead of TCP, and everything above (HTTP/1
 * session, pool, proxy phases) runs unchanged.
 */
import { Socket } from 'node:net';
import type { Peer } from '../upstreams/peer.ts';

/** Where a VirtualSocket's written bytes go. */
export interface VirtualSocketSink {
  /** Bytes the stack wrote, in order; answer through `socket.deliver()`. */
  onWrite(chunk: Buffer, socket: VirtualSocket): void;
  /** The stack ended its side (no more writes). */
  onEnd?(socket: VirtualSocket): void;
  /** The socket was destroyed (either side). */
  onClose?(socket: VirtualSocket): void;
}

export class VirtualSocket extends Socket {
  readonly #sink: VirtualSocketSink;

  constructor(sink: VirtualSocketSink) {
    super({ allowHalfOpen: true });
    this.#sink = sink;
  }

  /** Bytes for the stack to read. Ignored once the socket is destroyed. */
  deliver(chunk: Buffer | string): void {
    if (!this.destroyed) this.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  }

  /** The remote side is done sending (the stack reads end of file). */
  finish(): void {
    if (!this.destroyed) this.push(null);
  }

  override _read(): void {
    // Bytes are pushed by deliver(); nothing to pull.
  }

  override _write(
    chunk: Buffer,
    _encoding: BufferEncoding,
    done: (err?: Error | null) => void,
  ): void {
    try {
      this.#sink.onWrite(chunk, this);
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  override _final(done: (err?: Error | null) => void): void {
    this.#sink.onEnd?.(this);
    done();
  }

  override _destroy(err: Error | null, done: (err: Error | null) => void): void {
    this.#sink.onClose?.(this);
    done(err);
  }
}

/**
 * A custom L4 connector (Pingora's L4Connect): set as a peer's
 * `options.customL4`, it opens the peer's connections instead of TCP.
 */
export interface L4Connect {
  /** Identifies the transport in the pool key: peers on different transports never share connections. */
  readonly name: string;
  /** A new connection to `peer` (a VirtualSocket or any net.Socket). */
  connect(peer: Peer): Socket | Promise<Socket>;
}
