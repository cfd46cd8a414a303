/**
 * ResponseCompression: the module that compresses responses for clients
 * that accept it (gzip, br, zstd by q-value, per-algorithm level) and
 * decompresses encodings a client cannot read. It fixes the header to match:
 * Content-Encoding, no Content-Length or Accept-Ranges, a weak ETag, and
 * `Vary: Accept-Encoding`. Mirrors pingora-core's ResponseCompressionCtx.
 */
import { ErrorType, PingoraError } from '@pingora-ts/error';
import { type RequestHeader, type ResponseHeader, trimOws } from '@pingora-ts/http';
import type { HttpModule, HttpModuleBuilder } from '../http-module.ts';
import { chooseEncoding } from './accept-encoding.ts';
import {
  Algorithm,
  algorithmAvailable,
  algorithmFromToken,
  DEFAULT_LEVELS,
  MAX_LEVELS,
} from './algorithm.ts';
import { declaredLength, hasNoTransform, isCompressibleType } from './compressible.ts';
import {
  DEFAULT_MAX_OUTPUT_PER_CHUNK,
  StreamCodec,
  type StreamCodecStats,
} from './stream-codec.ts';

export interface ResponseCompressionOptions {
  /** Level for every algorithm (0 disables compression); default: each algorithm's default. */
  level?: number;
  /** Per-algorithm levels, over `level` (`{ br: 0 }` disables brotli only). */
  levels?: Partial<Record<Algorithm, number>>;
  /** Decompress responses in an encoding the client does not accept (default false). */
  decompress?: boolean;
  /** Keep a strong ETag unchanged when transcoding (default false: weaken it). */
  preserveEtag?: boolean;
  /** Skip responses whose Content-Length is below this (default 256 bytes). */
  minLength?: number;
  /** Cap on the output of one body piece (decompression bombs); default 16 MiB. */
  maxOutputPerChunk?: number;
}

const ALL: readonly Algorithm[] = [Algorithm.Gzip, Algorithm.Brotli, Algorithm.Zstd];

function checkLevel(algorithm: Algorithm, level: number): number {
  if (!Number.isInteger(level) || level < 0) {
    throw PingoraError.explain(
      ErrorType.ConfigError,
      `compression level for ${algorithm} must be a non-negative integer, got ${String(level)}`,
    );
  }
  return Math.min(level, MAX_LEVELS[algorithm]);
}

function anyLevel(levels: Readonly<Record<Algorithm, number>>): boolean {
  return levels.gzip > 0 || levels.br > 0 || levels.zstd > 0;
}

function weakenEtag(resp: ResponseHeader): void {
  const etag = resp.getHeader('etag');
  if (etag?.startsWith('"')) resp.insertHeader('ETag', `W/${etag}`);
}

function addVaryAcceptEncoding(resp: ResponseHeader): void {
  const vary = resp.getAll('vary');
  for (const line of vary) {
    for (const part of line.split(',')) {
      const token = trimOws(part).toLowerCase();
      if (token === '*' || token === 'accept-encoding') return;
    }
  }
  resp.appendHeader('Vary', 'Accept-Encoding');
}

/** Options checked once (at build time) and shared by every request's module instance. */
export interface ResolvedCompressionOptions {
  readonly levels: Readonly<Record<Algorithm, number>>;
  readonly decompress: boolean;
  readonly preserveEtag: boolean;
  readonly minLength: number;
  readonly maxOutput: number;
}

/** Validates options (ConfigError on a bad level) and fills the defaults. */
export function resolveCompressionOptions(
  options: ResponseCompressionOptions = {},
): ResolvedCompressionOptions {
  const levels = { ...DEFAULT_LEVELS };
  for (const a of ALL) {
    const level = options.levels?.[a] ?? options.level;
    if (level !== undefined) levels[a] = checkLevel(a, level);
    if (!algorithmAvailable(a)) levels[a] = 0;
  }
  return Object.freeze({
    levels: Object.freeze(levels),
    decompress: options.decompress ?? false,
    preserveEtag: options.preserveEtag ?? false,
    minLength: options.minLength ?? 256,
    maxOutput: options.maxOutputPerChunk ?? DEFAULT_MAX_OUTPUT_PER_CHUNK,
  });
}

const UPSTREAM_OPTIONS = resolveCompressionOptions({ level: 0, decompress: false });

function isResolved(
  o: ResponseCompressionOptions | ResolvedCompressionOptions,
): o is ResolvedCompressionOptions {
  return Object.isFrozen(o) && 'maxOutput' in o;
}

export class ResponseCompression implements HttpModule {
  /** Shared with the builder until adjusted (copied on first write). */
  #levels: Readonly<Record<Algorithm, number>>;
  #ownLevels = false;
  #decompress: boolean;
  #preserveEtag: boolean;
  readonly #minLength: number;
  readonly #maxOutput: number;
  /** Upstream use: decompress whatever arrives, whoever asked. */
  readonly #decompressAlways: boolean;
  #acceptEncoding: string | undefined;
  #headPhase = true;
  #codec: StreamCodec | undefined;

  constructor(
    options: ResponseCompressionOptions | ResolvedCompressionOptions = {},
    decompressAlways = false,
  ) {
    const o = isResolved(options) ? options : resolveCompressionOptions(options);
    this.#levels = o.levels;
    this.#decompress = o.decompress;
    this.#preserveEtag = o.preserveEtag;
    this.#minLength = o.minLength;
    this.#maxOutput = o.maxOutput;
    this.#decompressAlways = decompressAlways;
  }

  /**
   * A context that decompresses upstream responses before the body filters
   * see them (the proxy session's upstream compression); off until enabled.
   */
  static upstream(): ResponseCompression {
    return new ResponseCompression(UPSTREAM_OPTIONS, true);
  }

  /** Whether this module may still transform the response. */
  isEnabled(): boolean {
    if (!this.#headPhase) return this.#codec !== undefined;
    return this.#decompress || anyLevel(this.#levels);
  }

  /** The level of every algorithm (0 disables); only before the response header. */
  adjustLevel(level: number): void {
    this.#checkHeadPhase();
    const levels = this.#writableLevels();
    for (const a of ALL) levels[a] = algorithmAvailable(a) ? checkLevel(a, level) : 0;
  }

  /** The level of one algorithm; only before the response header. */
  adjustAlgorithmLevel(algorithm: Algorithm, level: number): void {
    this.#checkHeadPhase();
    this.#writableLevels()[algorithm] = algorithmAvailable(algorithm)
      ? checkLevel(algorithm, level)
      : 0;
  }

  /** Turns decompression on or off; only before the response header. */
  adjustDecompression(enabled: boolean): void {
    this.#checkHeadPhase();
    this.#decompress = enabled;
  }

  /** Keeps a strong ETag when transcoding; only before the response header. */
  adjustPreserveEtag(enabled: boolean): void {
    this.#checkHeadPhase();
    this.#preserveEtag = enabled;
  }

  /** What the codec of this response did (undefined when it passes through). */
  stats(): StreamCodecStats | undefined {
    return this.#codec?.stats();
  }

  requestHeaderFilter(req: RequestHeader): void {
    const values = req.getAll('accept-encoding');
    this.#acceptEncoding = values.length === 0 ? undefined : values.join(', ');
  }

  responseHeaderFilter(resp: ResponseHeader, endOfStream: boolean): void {
    if (!this.#headPhase) return;
    const status = resp.status;
    // An interim response says nothing about the final one; wait for it.
    if (status >= 100 && status < 200 && status !== 101) return;
    this.#headPhase = false;
    if (!this.#decompress && !anyLevel(this.#levels)) return;
    if (endOfStream || status === 101 || status === 204 || status === 304 || status === 206) return;
    if (resp.hasHeader('content-range') || hasNoTransform(resp)) return;

    const encodings = resp.getAll('content-encoding');
    const encoding =
      encodings.length === 0 ? 'identity' : trimOws(encodings.join(',')).toLowerCase();
    if (encoding !== 'identity') {
      this.#maybeDecompress(resp, encoding);
      return;
    }
    if (!isCompressibleType(resp.getHeader('content-type'))) return;
    const length = declaredLength(resp);
    if (length !== undefined && length < this.#minLength) return;
    if (this.#decompressAlways) return;
    addVaryAcceptEncoding(resp);
    const enabled = new Set<Algorithm>();
    for (const a of ALL) if (this.#levels[a] > 0) enabled.add(a);
    const chosen = chooseEncoding(this.#acceptEncoding, enabled);
    if (chosen === undefined) return;
    this.#codec = new StreamCodec(chosen, 'compress', this.#levels[chosen], this.#maxOutput);
    resp.removeHeader('content-encoding');
    resp.appendHeader('Content-Encoding', chosen);
    this.#afterTranscode(resp);
  }

  responseBodyPassThrough(): boolean {
    return this.#codec === undefined;
  }

  responseBodyFilter(body: Buffer | null, endOfStream: boolean): Promise<Buffer> | undefined {
    const codec = this.#codec;
    if (codec === undefined) return undefined;
    if (body === null && !endOfStream) return undefined;
    return codec.encode(body, endOfStream);
  }

  responseDone(): void {
    this.#codec?.destroy();
  }

  #maybeDecompress(resp: ResponseHeader, encoding: string): void {
    if (!this.#decompress) return;
    const algorithm = algorithmFromToken(encoding);
    if (algorithm === undefined || !algorithmAvailable(algorithm)) return;
    if (!this.#decompressAlways) {
      addVaryAcceptEncoding(resp);
      // The client can read it as it is: leave the bytes alone.
      if (chooseEncoding(this.#acceptEncoding, new Set([algorithm])) === algorithm) return;
    }
    this.#codec = new StreamCodec(algorithm, 'decompress', 0, this.#maxOutput);
    resp.removeHeader('content-encoding');
    this.#afterTranscode(resp);
  }

  #afterTranscode(resp: ResponseHeader): void {
    // The body length changes and byte ranges no longer address the same bytes.
    resp.removeHeader('content-length');
    resp.removeHeader('accept-ranges');
    if (!this.#preserveEtag) weakenEtag(resp);
  }

  #writableLevels(): Record<Algorithm, number> {
    if (!this.#ownLevels) {
      this.#levels = { ...this.#levels };
      this.#ownLevels = true;
    }
    return this.#levels as Record<Algorithm, number>;
  }

  #checkHeadPhase(): void {
    if (!this.#headPhase) {
      throw PingoraError.explain(
        ErrorType.InternalError,
        'response compression can only be adjusted before the response header is sent',
      );
    }
  }
}

/** Adds response compression to a proxy's modules (Pingora's ResponseCompressionBuilder). */
export class ResponseCompressionBuilder implements HttpModuleBuilder {
  readonly order = 0;
  /** Disabled (every level 0, no decompression): built only when a filter asks for it. */
  readonly idle: boolean;
  readonly #options: ResolvedCompressionOptions;

  constructor(options: ResponseCompressionOptions = {}) {
    // Validated once at startup, shared by every request's instance.
    this.#options = resolveCompressionOptions(options);
    this.idle = !this.#options.decompress && !anyLevel(this.#options.levels);
  }

  /** Compression at `level` for every algorithm (0: added but disabled, adjustable per request). */
  static enable(level: number): ResponseCompressionBuilder {
    return new ResponseCompressionBuilder({ level });
  }

  init(): ResponseCompression {
    return new ResponseCompression(this.#options);
  }
}
