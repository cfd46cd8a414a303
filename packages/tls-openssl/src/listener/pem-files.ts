/**
 * Reading the PEM inputs of a listener: certificate/key pairs and CA bundles
 * given as file paths or in memory. Sync for startup (a bad file fails the
 * start), async for reloads; either way a failure is a ConfigError that
 * names the file and the settings key it came from.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type {
  TlsCertKey,
  TlsCertSource,
  TlsPem,
  TlsPemSource,
  TlsSettings,
} from '@pingora-ts/core';
import { ErrorType, PingoraError } from '@pingora-ts/error';

/** A certificate and key as loaded, with where they came from. */
export interface LoadedCert {
  readonly cert: TlsPem;
  readonly key: TlsPem;
  /** `sni.api.example.com`, `cert` … for errors. */
  readonly where: string;
}

/** The files a settings object reads (what the watcher watches). */
export function certSourcePaths(source: TlsCertSource | undefined): string[] {
  return source !== undefined && 'certPath' in source ? [source.certPath, source.keyPath] : [];
}

export function pemSourcePath(source: TlsPemSource | undefined): string[] {
  return isPathSource(source) ? [source.path] : [];
}

export function loadCertSync(source: TlsCertSource, where: string): LoadedCert {
  if (!('certPath' in source)) return inMemory(source, where);
  return {
    cert: readSync(source.certPath, `${where}.certPath`),
    key: readSync(source.keyPath, `${where}.keyPath`),
    where,
  };
}

export async function loadCert(source: TlsCertSource, where: string): Promise<LoadedCert> {
  if (!('certPath' in source)) return inMemory(source, where);
  const [cert, key] = await Promise.all([
    readAsync(source.certPath, `${where}.certPath`),
    readAsync(source.keyPath, `${where}.keyPath`),
  ]);
  return { cert, key, where };
}

export function loadPemSync(source: TlsPemSource, where: string): TlsPem {
  return isPathSource(source) ? readSync(source.path, where) : source;
}

export async function loadPem(source: TlsPemSource, where: string): Promise<TlsPem> {
  return isPathSource(source) ? readAsync(source.path, where) : source;
}

function isPathSource(source: TlsPemSource | undefined): source is { readonly path: string } {
  return (
    typeof source === 'object' &&
    source !== null &&
    !Buffer.isBuffer(source) &&
    !Array.isArray(source) &&
    'path' in source
  );
}

function inMemory(source: TlsCertKey, where: string): LoadedCert {
  return { cert: source.cert, key: source.key, where };
}

function readSync(path: string, where: string): Buffer {
  try {
    return readFileSync(path);
  } catch (cause) {
    throw unreadable(path, where, cause);
  }
}

async function readAsync(path: string, where: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (cause) {
    throw unreadable(path, where, cause);
  }
}

function unreadable(path: string, where: string, cause: unknown): PingoraError {
  return PingoraError.because(ErrorType.ConfigError, `TLS ${where}: cannot read ${path}`, cause);
}

/** Everything a listener's settings read from files or memory. */
export interface LoadedSettings {
  readonly clientCa: TlsPem | undefined;
  readonly defaultCert: LoadedCert | undefined;
  readonly sni: ReadonlyArray<readonly [string, LoadedCert]>;
}

/** Loads every PEM input of `s` now (startup: a bad file fails the start). */
export function loadSettingsSync(s: TlsSettings): LoadedSettings {
  return {
    clientCa: s.clientCa === undefined ? undefined : loadPemSync(s.clientCa, 'clientCa'),
    defaultCert: s.cert === undefined ? undefined : loadCertSync(s.cert, 'cert'),
    sni: Object.entries(s.sni ?? {}).map(
      ([name, src]) => [name, loadCertSync(src, `sni.${name}`)] as const,
    ),
  };
}

/** Loads every PEM input of `s` without blocking (reloads). */
export async function loadSettings(s: TlsSettings): Promise<LoadedSettings> {
  const [clientCa, defaultCert, sni] = await Promise.all([
    s.clientCa === undefined ? undefined : loadPem(s.clientCa, 'clientCa'),
    s.cert === undefined ? undefined : loadCert(s.cert, 'cert'),
    Promise.all(
      Object.entries(s.sni ?? {}).map(
        async ([name, src]) => [name, await loadCert(src, `sni.${name}`)] as const,
      ),
    ),
  ]);
  return { clientCa, defaultCert, sni };
}

/** Every file path `s` reads (what the watcher watches). */
export function settingsPaths(s: TlsSettings): string[] {
  return [
    ...certSourcePaths(s.cert),
    ...Object.values(s.sni ?? {}).flatMap(certSourcePaths),
    ...pemSourcePath(s.clientCa),
  ];
}
