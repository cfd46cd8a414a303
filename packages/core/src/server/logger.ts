/**
 * The server's pino logger: JSON lines to error_log (appended) when it is
 * set, else to stderr. Every line carries the name of the service that wrote
 * it (`service: "server"` for the server itself). Writes are synchronous so
 * that nothing is lost when the process exits right after a line. A pino
 * transport (pino-pretty for people at a terminal) can replace the
 * destination; pino flushes it when the process exits.
 */
import { ErrorType, PingoraError } from '@pingora-ts/error';
import { type Logger, pino } from 'pino';
import type { ServerConf } from './server-conf.ts';

export type { Logger } from 'pino';

export interface LoggerOptions {
  /** pino level (default: PINGORA_LOG_LEVEL from the environment, else `info`). */
  level?: string;
  /**
   * A pino transport to write through instead of error_log/stderr, e.g.
   * `{ target: 'pino-pretty', options: { destination: 2 } }` (resolved from
   * the caller's dependencies: pass an absolute path when in doubt).
   */
  transport?: { target: string; options?: Record<string, unknown> };
}

const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/** The root logger for a server with this configuration. */
export function createServerLogger(conf: ServerConf, options: LoggerOptions = {}): Logger {
  const envLevel = process.env.PINGORA_LOG_LEVEL;
  const level =
    options.level ?? (envLevel !== undefined && LEVELS.has(envLevel) ? envLevel : 'info');
  if (options.transport !== undefined) {
    return pino({ level, base: { pid: process.pid } }, pino.transport(options.transport));
  }
  let dest: ReturnType<typeof pino.destination>;
  try {
    dest =
      conf.errorLog !== undefined
        ? pino.destination({ dest: conf.errorLog, append: true, mkdir: true, sync: true })
        : pino.destination({ dest: 2, sync: true });
  } catch (err) {
    throw PingoraError.because(
      ErrorType.FileOpenError,
      `cannot open error_log ${conf.errorLog ?? '(stderr)'}`,
      err,
    );
  }
  return pino({ level, base: { pid: process.pid } }, dest);
}
