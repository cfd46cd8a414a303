/**
 * The TLS key log of upstream connections (Pingora's debug_ssl_keylog): each
 * socket's 'keylog' lines appended to one file, opened on first use. Writes
 * are queued by one append stream; a failing file is reported once and then
 * left alone, never failing a connection.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import type { TLSSocket } from 'node:tls';

export class KeylogFile {
  readonly path: string;
  #stream: WriteStream | undefined;
  #failed = false;

  constructor(path: string) {
    this.path = path;
  }

  /** Logs `socket`'s secrets from now on. */
  attach(socket: TLSSocket): void {
    if (this.#failed) return;
    socket.on('keylog', (line: Buffer) => this.#write(line));
  }

  #write(line: Buffer): void {
    if (this.#failed) return;
    if (this.#stream === undefined) {
      this.#stream = createWriteStream(this.path, { flags: 'a', mode: 0o600 });
      this.#stream.on('error', (err) => {
        this.#failed = true;
        process.emitWarning(`upstream TLS key log ${this.path} failed: ${err.message}`);
      });
    }
    this.#stream.write(line);
  }
}
