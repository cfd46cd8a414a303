/**
 * SessionCache: the server-side store of TLS 1.2 sessions for session-id
 * resumption (clients without ticket support). Bounded by count, oldest
 * evicted first (a Map keeps insertion order), and every entry expires after
 * the session timeout. It answers node:tls's `newSession`/`resumeSession`.
 */

interface Entry {
  readonly data: Buffer;
  readonly expiresAt: number;
}

export class SessionCache {
  readonly #max: number;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();

  constructor(max: number, ttlMs: number, now: () => number = Date.now) {
    this.#max = max;
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  get size(): number {
    return this.#entries.size;
  }

  set(id: Buffer, data: Buffer): void {
    if (this.#max === 0) return;
    const key = id.toString('hex');
    this.#entries.delete(key);
    while (this.#entries.size >= this.#max) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
    // node:tls may reuse its buffer: keep a copy.
    this.#entries.set(key, { data: Buffer.from(data), expiresAt: this.#now() + this.#ttlMs });
  }

  get(id: Buffer): Buffer | undefined {
    const key = id.toString('hex');
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.#now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.data;
  }

  clear(): void {
    this.#entries.clear();
  }
}
