/**
 * The sample apps' logger: for a person at a terminal (stdout is a TTY and
 * no error_log is configured) lines go through pino-pretty (a pino transport
 * on its own thread, colourised, to stderr); otherwise the server's JSON
 * lines as usual. Pass it to Server.fromArgs(argv, { logger: sampleLogger }).
 */
import { fileURLToPath } from 'node:url';
import { createServerLogger, type Logger, type ServerConf } from '@pingora-ts/core';

export interface SampleLoggerOptions {
  /** Whether a person is watching (default: stdout and stderr, where lines go, are TTYs). */
  tty?: boolean;
  /** Where pretty lines go (default 2, stderr); a path writes a file (tests). */
  destination?: number | string;
}

/** The path of pino-pretty as this package resolves it (apps may not depend on it themselves). */
const PINO_PRETTY = fileURLToPath(import.meta.resolve('pino-pretty'));

export function sampleLogger(conf: ServerConf, options: SampleLoggerOptions = {}): Logger {
  const tty = options.tty ?? (process.stdout.isTTY === true && process.stderr.isTTY === true);
  if (!tty || conf.errorLog !== undefined) return createServerLogger(conf);
  return createServerLogger(conf, {
    transport: {
      target: PINO_PRETTY,
      options: {
        destination: options.destination ?? 2,
        colorize: typeof options.destination !== 'string',
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname',
        mkdir: true,
        sync: false,
      },
    },
  });
}
