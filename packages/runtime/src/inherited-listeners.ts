/**
 * Listening sockets passed from an old process to its successor in a
 * graceful upgrade: the successor finds them as inherited descriptors, named
 * in one environment variable (`{"<service>/<endpoint>": fd}`). Each one is
 * taken once; the variable is removed so a later upgrade starts clean.
 */

/** The environment variable naming the inherited listening descriptors. */
export const LISTEN_FDS_ENV = 'PINGORA_TS_LISTEN_FDS';

/** Reads `{"key": fd}`; throws a RangeError naming what is wrong. */
export function decodeListenFds(text: string): Map<string, number> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new RangeError(`${LISTEN_FDS_ENV} is not JSON: ${text.slice(0, 80)}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new RangeError(`${LISTEN_FDS_ENV} must be an object of name to descriptor`);
  }
  const out = new Map<string, number>();
  for (const [key, fd] of Object.entries(parsed)) {
    // 0-2 are stdio; a listener is never there.
    if (!Number.isSafeInteger(fd) || (fd as number) < 3) {
      throw new RangeError(`${LISTEN_FDS_ENV}: "${key}" has no valid descriptor (${String(fd)})`);
    }
    out.set(key, fd as number);
  }
  return out;
}

export function encodeListenFds(fds: ReadonlyMap<string, number>): string {
  return JSON.stringify(Object.fromEntries(fds));
}

/** The listeners this process inherited, each handed out once. */
export class InheritedListeners {
  readonly #fds: Map<string, number>;

  constructor(fds: ReadonlyMap<string, number> = new Map()) {
    this.#fds = new Map(fds);
  }

  /** From (and removed from) `env`; empty when the variable is absent. */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): InheritedListeners {
    const text = env[LISTEN_FDS_ENV];
    delete env[LISTEN_FDS_ENV];
    return new InheritedListeners(text === undefined ? new Map() : decodeListenFds(text));
  }

  /** The descriptor for `key`, once; undefined when none was inherited. */
  take(key: string): number | undefined {
    const fd = this.#fds.get(key);
    this.#fds.delete(key);
    return fd;
  }

  /** Names inherited but not taken (e.g. an endpoint removed from the configuration). */
  untaken(): string[] {
    return [...this.#fds.keys()];
  }

  get size(): number {
    return this.#fds.size;
  }
}
