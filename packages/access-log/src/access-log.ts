/**
 * AccessLog: the ready-made access log for a proxy's `logging` phase. JSON
 * lines through pino or nginx `combined` lines, written asynchronously to a
 * sonic-boom destination (bounded: past `maxPendingBytes` lines are dropped
 * and counted), reopened on SIGUSR1 so logrotate works as with nginx.
 * Call `tagRequest()` early (request id) and `log()` in `logging`.
 */
import { ExecutionPhase, type Logger, type Server } from '@pingora-ts/core';
import { ErrorType, PingoraError } from '@pingora-ts/error';
import type { Session } from '@pingora-ts/proxy';
import { pino } from 'pino';
import {
  type AccessLogConfig,
  type AccessLogFormat,
  accessLogConfigSchema,
} from './access-log-config.ts';
import { combinedLine, LocalTimeCache } from './combined-format.ts';
import { accessRecord } from './json-record.ts';
import { tagRequestId } from './request-id.ts';

type Destination = ReturnType<typeof pino.destination>;

/** Bytes waiting for the disk past which lines are dropped (and counted). */
export const DEFAULT_MAX_PENDING_BYTES = 16 << 20;

export interface AccessLogOptions {
  /** File to append to, or `-` for stdout. */
  path: string;
  /** Default `json`. */
  format?: AccessLogFormat;
  bufferBytes?: number;
  maxPendingBytes?: number;
  trustRequestId?: boolean;
  /** Reopen the file on SIGUSR1 (default true). */
  reopenOnSignal?: boolean;
  /** Where write errors go (the server's logger). */
  logger?: Pick<Logger, 'error' | 'info'>;
}

export class AccessLog {
  readonly format: AccessLogFormat;
  readonly path: string;
  readonly #dest: Destination;
  readonly #json: Logger | undefined;
  readonly #time = new LocalTimeCache();
  readonly #trustRequestId: boolean;
  readonly #logger: Pick<Logger, 'error' | 'info'> | undefined;
  #onSignal: (() => void) | undefined;
  #dropped = 0;
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(options: AccessLogOptions) {
    if (options.path === '') {
      throw PingoraError.explain(ErrorType.ConfigError, 'access_log: path is empty');
    }
    this.path = options.path;
    this.format = options.format ?? 'json';
    this.#trustRequestId = options.trustRequestId ?? true;
    this.#logger = options.logger;
    try {
      this.#dest = pino.destination({
        dest: options.path === '-' ? 1 : options.path,
        sync: false,
        append: true,
        mkdir: true,
        minLength: options.bufferBytes ?? 0,
        maxLength: options.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES,
      });
    } catch (err) {
      throw PingoraError.because(
        ErrorType.FileOpenError,
        `cannot open access_log ${options.path}`,
        err,
      );
    }
    this.#dest.on('drop', () => {
      this.#dropped++;
    });
    this.#dest.on('error', (err: unknown) => {
      this.#logger?.error({ err, path: this.path }, 'access log write failed');
    });
    this.#json =
      this.format === 'json'
        ? pino(
            {
              base: null,
              timestamp: pino.stdTimeFunctions.isoTime,
              // Every line says what it is (handy when logs share a pipeline) instead of a level.
              formatters: { level: () => ({ log: 'access' }) },
            },
            this.#dest,
          )
        : undefined;
    if (options.reopenOnSignal !== false && options.path !== '-') {
      this.#onSignal = () => this.reopen();
      process.on('SIGUSR1', this.#onSignal);
    }
  }

  /**
   * The access log configured under `section` (default `access_log`) of the
   * server's YAML, or undefined when it names no path. Closed when the
   * server terminates.
   */
  static fromServer(server: Server, section = 'access_log'): AccessLog | undefined {
    const conf: AccessLogConfig = server.appConfig(accessLogConfigSchema, section);
    if (conf.path === '') return undefined;
    const log = new AccessLog({
      path: conf.path,
      format: conf.format as AccessLogFormat,
      bufferBytes: conf.bufferBytes,
      maxPendingBytes: conf.maxPendingBytes,
      trustRequestId: conf.trustRequestId,
      logger: server.logger.child({ service: 'access_log' }),
    });
    // Flushed before runForever exits the process (exit hooks are awaited), and
    // when a server run in code terminates.
    server.onExit(() => log.close());
    server.onPhase((phase) => {
      if (phase === ExecutionPhase.Terminated) void log.close();
    });
    return log;
  }

  /** Lines dropped because the disk fell behind by more than maxPendingBytes. */
  get dropped(): number {
    return this.#dropped;
  }

  /**
   * Gives the request its id (a valid incoming X-Request-Id, or a new UUID)
   * and sets it on the request header so it goes upstream. Call it from
   * earlyRequestFilter or requestFilter.
   */
  tagRequest(session: Session): string {
    return tagRequestId(session, this.#trustRequestId);
  }

  /** Writes the line of a finished request; call it from the logging phase. */
  log(session: Session, error: PingoraError | undefined): void {
    if (this.#closed) return;
    if (this.#json !== undefined) {
      this.#json.info(accessRecord(session, error, performance.now()));
    } else {
      this.#dest.write(combinedLine(session, this.#time.format(Date.now())));
    }
  }

  /** Reopens the file (after logrotate moved it); what is pending goes to the new file. */
  reopen(): void {
    if (this.#closed || this.path === '-') return;
    try {
      this.#dest.reopen();
      this.#logger?.info({ path: this.path }, 'access log reopened');
    } catch (err) {
      this.#logger?.error({ err, path: this.path }, 'cannot reopen the access log');
    }
  }

  /**
   * Writes what is pending and closes the file; resolves once it is on disk
   * (the file may still be opening, or a write in flight). Later lines are
   * ignored. Idempotent.
   */
  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    this.#closed = true;
    if (this.#onSignal !== undefined) process.off('SIGUSR1', this.#onSignal);
    const dest = this.#dest;
    this.#closing = new Promise<void>((resolve) => {
      dest.once('close', () => resolve());
      // A failed write or close still ends the wait (reported by the 'error' listener).
      dest.once('error', () => resolve());
      dest.end();
    });
    return this.#closing;
  }
}
