/**
 * Where ACME state lives: the account key, each name's certificate and key,
 * and the per-name order locks. `AcmeStorage` is the interface (a shared
 * store such as Redis can implement it); `FileStorage` keeps everything
 * under one directory with 0700 directories and 0600 files.
 */
import { constants } from 'node:fs';
import { chmod, mkdir, open, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorType, PingoraError } from '@pingora-ts/error';

/** A certificate chain and its private key, PEM. */
export interface StoredCertificate {
  readonly cert: string;
  readonly key: string;
}

/** Releases a lock taken by `tryLock`. */
export type ReleaseLock = () => Promise<void>;

export interface AcmeStorage {
  /** The account private key (PEM), undefined before the first run. */
  loadAccountKey(): Promise<string | undefined>;
  saveAccountKey(pem: string): Promise<void>;
  loadCertificate(name: string): Promise<StoredCertificate | undefined>;
  /** Stores both files so that a reader never sees a new cert with an old key. */
  saveCertificate(name: string, value: StoredCertificate): Promise<void>;
  /**
   * Takes the order lock of `name`, or undefined when another holder has it.
   * A lock older than `staleMs` (a crashed holder) is broken.
   */
  tryLock(name: string, staleMs: number): Promise<ReleaseLock | undefined>;
}

const NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** A DNS name usable as a file name: lower-case labels, no wildcard, no path parts. */
export function checkName(name: string): string {
  const lower = name.toLowerCase();
  if (lower.length > 253 || !NAME.test(lower)) {
    throw PingoraError.explain(
      ErrorType.ConfigError,
      `ACME: "${name}" is not a DNS name this package can order (no wildcards, IPs or paths)`,
    );
  }
  return lower;
}

export class FileStorage implements AcmeStorage {
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  async loadAccountKey(): Promise<string | undefined> {
    return this.#read(join(this.root, 'account.key'));
  }

  async saveAccountKey(pem: string): Promise<void> {
    await this.#dir(this.root);
    await writeSecret(join(this.root, 'account.key'), pem);
  }

  async loadCertificate(name: string): Promise<StoredCertificate | undefined> {
    const file = join(this.root, 'certs', `${checkName(name)}.pem`);
    const text = await this.#read(file);
    if (text === undefined) return undefined;
    // One file holds the key then the chain: one rename swaps both at once.
    const end = text.indexOf('-----END', text.indexOf('PRIVATE KEY-----'));
    const cut = end === -1 ? -1 : text.indexOf('\n', end);
    if (cut === -1 || !text.includes('BEGIN CERTIFICATE')) {
      throw PingoraError.explain(ErrorType.InvalidCert, `ACME: ${file} holds no key and chain`);
    }
    return { key: text.slice(0, cut + 1), cert: text.slice(cut + 1).trimStart() };
  }

  async saveCertificate(name: string, value: StoredCertificate): Promise<void> {
    const dir = join(this.root, 'certs');
    await this.#dir(this.root);
    await this.#dir(dir);
    const key = value.key.endsWith('\n') ? value.key : `${value.key}\n`;
    await writeSecret(join(dir, `${checkName(name)}.pem`), key + value.cert);
  }

  async tryLock(name: string, staleMs: number): Promise<ReleaseLock | undefined> {
    const dir = join(this.root, 'locks');
    await this.#dir(this.root);
    await this.#dir(dir);
    const file = join(dir, `${checkName(name)}.lock`);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = await open(
          file,
          constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY,
          0o600,
        );
        await fd.writeFile(`${process.pid} ${new Date().toISOString()}\n`);
        await fd.close();
        return () => unlink(file).catch(() => {});
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const age = await stat(file).then(
        (s) => Date.now() - s.mtimeMs,
        () => Number.POSITIVE_INFINITY,
      );
      if (age < staleMs) return undefined;
      // A stale lock: its holder died mid-order. Break it once and retry.
      await unlink(file).catch(() => {});
    }
    return undefined;
  }

  async #dir(path: string): Promise<void> {
    await mkdir(path, { recursive: true, mode: 0o700 });
    await chmod(path, 0o700);
  }

  async #read(file: string): Promise<string | undefined> {
    try {
      return await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }
}

/** Writes a 0600 file next to the target, then renames it over (atomic on one file system). */
async function writeSecret(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, text, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, file);
}
