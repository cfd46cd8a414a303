/**
 * The logging this package needs: a pino-compatible subset (`info`/`warn`
 * with a context object first), so a pino logger can be passed in directly
 * and core is not imported just for logging. The default logs nothing.
 */

export interface LbLogger {
  info(context: object, message: string): void;
  warn(context: object, message: string): void;
}

export const silentLogger: LbLogger = {
  info() {},
  warn() {},
};
