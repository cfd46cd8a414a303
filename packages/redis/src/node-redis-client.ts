/**
 * NodeRedisClient: RedisLike over node-redis (`@redis/client`), chosen for
 * being TypeScript-native, maintained by Redis and writing commands without
 * waiting for replies (what is sent in one tick leaves in one write: the
 * pipeline). Every command carries a timeout (also once sent); when the
 * connection is down commands fail at once (no offline queue) and the client
 * reconnects with capped, jittered exponential backoff; when Redis is slow
 * (timeouts in a row) commands fail at once for a while (TimeoutBreaker).
 */
import type { SecureContextOptions } from 'node:tls';
import { ErrorType, PingoraError } from '@pingora-ts/error';
import {
  createClient,
  ErrorReply,
  RESP_TYPES,
  TimeoutError,
  TimeoutReadError,
} from '@redis/client';
import {
  type RedisCommandErrorEvent,
  type RedisStateEvent,
  redisCommandErrorChannel,
  redisStateChannel,
} from './redis-events.ts';
import type { RedisArg, RedisLike, RedisReply, RedisScript } from './redis-like.ts';
import { TimeoutBreaker } from './timeout-breaker.ts';

export interface RedisTlsOptions {
  /** CA bundle (PEM) that signs the server's certificate; the system store when absent. */
  ca?: string | Buffer | undefined;
  /** Client certificate and key (PEM) for mutual TLS. */
  cert?: string | Buffer | undefined;
  key?: string | Buffer | undefined;
  /** SNI and certificate name; the host by default. */
  servername?: string | undefined;
  /** Default true. */
  rejectUnauthorized?: boolean | undefined;
}

export interface RedisClientOptions {
  /** A name for logs and events. Default `redis`. */
  name?: string | undefined;
  host?: string | undefined;
  port?: number | undefined;
  username?: string | undefined;
  password?: string | undefined;
  /** Database index. Default 0. */
  db?: number | undefined;
  /** TLS to the server (`true` for defaults). */
  tls?: boolean | RedisTlsOptions | undefined;
  /** Connect (and TLS handshake) timeout. Default 1000 ms. */
  connectTimeoutMs?: number | undefined;
  /** Every command's timeout, from the call to its reply. Default 500 ms. */
  commandTimeoutMs?: number | undefined;
  /** First reconnect delay. Default 50 ms. */
  reconnectMinMs?: number | undefined;
  /** Largest reconnect delay. Default 500 ms (Redis back = served within about that). */
  reconnectMaxMs?: number | undefined;
  /** Commands waiting for a reply at most; more fail at once. Default 10,000. */
  maxPendingCommands?: number | undefined;
  /** Command timeouts in a row after which commands fail at once (Redis is slow). Default 3; 0: never. */
  failFastAfterTimeouts?: number | undefined;
  /** How long commands fail at once before one probe command is tried. Default 500 ms. */
  failFastMs?: number | undefined;
  /** Receives connection state changes (for logs). */
  onState?: ((e: RedisStateEvent) => void) | undefined;
}

/** The delay before reconnect attempt `retries` (0-based): doubling from min to max, 0-20% jitter. */
export function reconnectDelay(retries: number, minMs: number, maxMs: number): number {
  const base = Math.min(maxMs, minMs * 2 ** Math.min(retries, 30));
  return Math.round(base * (0.8 + Math.random() * 0.2));
}

function positive(name: string, v: number | undefined, dflt: number): number {
  const x = v ?? dflt;
  if (!Number.isFinite(x) || x <= 0) {
    throw PingoraError.explain(ErrorType.ConfigError, `redis ${name} must be > 0, got ${x}`);
  }
  return x;
}

type NodeClient = ReturnType<typeof makeClient>;

function makeClient(
  o: RedisClientOptions,
  connectTimeout: number,
  reconnect: (n: number) => number,
) {
  const host = o.host ?? '127.0.0.1';
  const port = o.port ?? 6379;
  const tls = o.tls;
  const common = { host, port, connectTimeout, reconnectStrategy: reconnect };
  const socket =
    tls === undefined || tls === false
      ? { ...common, tls: false as const }
      : {
          ...common,
          tls: true as const,
          servername: (tls === true ? undefined : tls.servername) ?? host,
          ...(tls === true ? {} : tlsParts(tls)),
        };
  return createClient({
    socket,
    ...(o.username === undefined ? {} : { username: o.username }),
    ...(o.password === undefined ? {} : { password: o.password }),
    ...(o.db === undefined ? {} : { database: o.db }),
    disableOfflineQueue: true,
    commandsQueueMaxLength: o.maxPendingCommands ?? 10_000,
  }).withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
}

function tlsParts(t: RedisTlsOptions): SecureContextOptions & { rejectUnauthorized?: boolean } {
  return {
    ...(t.ca === undefined ? {} : { ca: t.ca }),
    ...(t.cert === undefined ? {} : { cert: t.cert }),
    ...(t.key === undefined ? {} : { key: t.key }),
    ...(t.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: t.rejectUnauthorized }),
  };
}

function commandName(args: readonly RedisArg[]): string {
  const a = args[0];
  return a === undefined ? '?' : String(a).toUpperCase();
}

export class NodeRedisClient implements RedisLike {
  readonly name: string;
  readonly #client: NodeClient;
  readonly #options: { timeout: number; rejectInFlight: true };
  readonly #onState: ((e: RedisStateEvent) => void) | undefined;
  readonly #breaker: TimeoutBreaker | undefined;
  #connecting: Promise<unknown> | undefined;
  #closed = false;
  #wasReady = false;

  constructor(options: RedisClientOptions = {}) {
    this.name = options.name ?? 'redis';
    const connectTimeout = positive('connectTimeoutMs', options.connectTimeoutMs, 1000);
    const min = positive('reconnectMinMs', options.reconnectMinMs, 50);
    const max = Math.max(min, positive('reconnectMaxMs', options.reconnectMaxMs, 500));
    this.#options = {
      timeout: positive('commandTimeoutMs', options.commandTimeoutMs, 500),
      rejectInFlight: true,
    };
    this.#onState = options.onState;
    const after = options.failFastAfterTimeouts ?? 3;
    if (!Number.isSafeInteger(after) || after < 0) {
      throw PingoraError.explain(
        ErrorType.ConfigError,
        `redis failFastAfterTimeouts must be an integer >= 0, got ${after}`,
      );
    }
    this.#breaker =
      after === 0
        ? undefined
        : new TimeoutBreaker(after, positive('failFastMs', options.failFastMs, 500));
    this.#client = makeClient(options, connectTimeout, (n) => {
      if (n === 0 || this.#wasReady) this.#state('reconnecting');
      this.#wasReady = false;
      return reconnectDelay(n, min, max);
    });
    this.#client.on('ready', () => {
      this.#wasReady = true;
      this.#state('ready');
    });
    this.#client.on('error', (err: Error) => this.#state('down', err.message));
  }

  #state(state: RedisStateEvent['state'], error?: string): void {
    if (this.#closed) return;
    const e: RedisStateEvent = { name: this.name, state, error };
    this.#onState?.(e);
    if (redisStateChannel.hasSubscribers) redisStateChannel.publish(e);
  }

  /** Connected, and not failing fast after timeouts in a row. */
  get ready(): boolean {
    return this.#client.isReady && this.#breaker?.failing !== true;
  }

  /**
   * Starts connecting (in the background: a proxy must not wait for Redis to
   * serve). Resolves when first connected or `timeoutMs` passed, whichever is
   * first; the client keeps retrying after that.
   */
  connect(timeoutMs = 1000): Promise<boolean> {
    this.#connecting ??= this.#client.connect().catch(() => undefined);
    return new Promise((resolve) => {
      if (this.#client.isReady) return resolve(true);
      const t = setTimeout(() => {
        this.#client.off('ready', onReady);
        resolve(false);
      }, timeoutMs);
      const onReady = () => {
        clearTimeout(t);
        resolve(true);
      };
      this.#client.once('ready', onReady);
    });
  }

  send(args: readonly RedisArg[]): Promise<RedisReply> {
    if (!this.#client.isReady) return Promise.reject(this.#down(args));
    const b = this.#breaker;
    if (b?.open === true && b.admit() === 'fail') return Promise.reject(this.#slow(args, b));
    return this.#client.sendCommand(args.map(toArg), this.#options).then(
      (r) => {
        if (b?.answered() === true) this.#state('ready');
        return r as unknown as RedisReply;
      },
      (err: unknown) => Promise.reject(this.#failed(args, err)),
    );
  }

  async evalScript(
    script: RedisScript,
    keys: readonly RedisArg[],
    args: readonly RedisArg[],
  ): Promise<RedisReply> {
    const rest = [String(keys.length), ...keys, ...args];
    try {
      return await this.send(['EVALSHA', script.sha1, ...rest]);
    } catch (err) {
      if (!(PingoraError.is(err) && /NOSCRIPT/.test(String(err.cause)))) throw err;
      // first use on this server (or after a restart): EVAL loads and caches the script
      return this.send(['EVAL', script.source, ...rest]);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#client.isOpen) await this.#client.close().catch(() => this.#client.destroy());
    else this.#client.destroy();
  }

  #down(args: readonly RedisArg[]): PingoraError {
    const e = PingoraError.explain(
      ErrorType.ConnectError,
      `redis ${this.name}: not connected (${commandName(args)})`,
    );
    this.#commandError(args, 'not connected');
    return e;
  }

  #slow(args: readonly RedisArg[], b: TimeoutBreaker): PingoraError {
    this.#commandError(args, 'failing fast');
    return PingoraError.explain(
      ErrorType.ConnectError,
      `redis ${this.name}: failing fast after ${b.threshold} command timeouts in a row (${commandName(args)})`,
    );
  }

  #failed(args: readonly RedisArg[], err: unknown): PingoraError {
    const msg = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    const timeout = err instanceof TimeoutError || err instanceof TimeoutReadError;
    const b = this.#breaker;
    if (b !== undefined) {
      if (timeout) {
        if (b.timedOut()) {
          this.#state(
            'down',
            `${b.threshold} command timeouts in a row: failing fast for ${b.cooldownMs} ms`,
          );
        }
      } else if (err instanceof ErrorReply) {
        // the server answered (in time): it is not slow
        if (b.answered()) this.#state('ready');
      } else {
        b.probeFailed();
      }
    }
    // NOSCRIPT is the expected first answer to EVALSHA on a fresh server, not a failure
    if (!msg.includes('NOSCRIPT')) this.#commandError(args, msg);
    return PingoraError.because(
      timeout ? ErrorType.ReadTimedout : ErrorType.ReadError,
      `redis ${this.name}: ${commandName(args)} failed`,
      err,
    );
  }

  #commandError(args: readonly RedisArg[], error: string): void {
    if (!redisCommandErrorChannel.hasSubscribers) return;
    const e: RedisCommandErrorEvent = { name: this.name, command: commandName(args), error };
    redisCommandErrorChannel.publish(e);
  }
}

function toArg(a: RedisArg): string | Buffer {
  return typeof a === 'number' ? String(a) : a;
}
