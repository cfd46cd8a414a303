/**
 * The content codings the compression module knows (gzip, br, zstd), how
 * they are named on the wire, and whether this Node can produce and read them
 * (zstd needs Node >= 22.15). Anything else is "other" and never transcoded.
 */
import * as zlib from 'node:zlib';

export const Algorithm = {
  Gzip: 'gzip',
  Brotli: 'br',
  Zstd: 'zstd',
} as const;

export type Algorithm = (typeof Algorithm)[keyof typeof Algorithm];

/** Server preference when the client rates several codings equally: best ratio first. */
export const ALGORITHM_PREFERENCE: readonly Algorithm[] = [
  Algorithm.Brotli,
  Algorithm.Zstd,
  Algorithm.Gzip,
];

/** Whether this Node build has a streaming codec for `algorithm`. */
export function algorithmAvailable(algorithm: Algorithm): boolean {
  if (algorithm === Algorithm.Zstd) return typeof zlib.createZstdCompress === 'function';
  return true;
}

/** The coding named by a Content-Encoding / Accept-Encoding token, or undefined. */
export function algorithmFromToken(token: string): Algorithm | undefined {
  switch (token.toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return Algorithm.Gzip;
    case 'br':
      return Algorithm.Brotli;
    case 'zstd':
      return Algorithm.Zstd;
    default:
      return undefined;
  }
}

/** Default levels: what nginx/Cloudflare use for on-the-fly compression. */
export const DEFAULT_LEVELS: Readonly<Record<Algorithm, number>> = {
  gzip: 6,
  br: 4,
  zstd: 3,
};

/** The accepted level range of each algorithm (0 disables it). */
export const MAX_LEVELS: Readonly<Record<Algorithm, number>> = {
  gzip: 9,
  br: 11,
  zstd: 19,
};
