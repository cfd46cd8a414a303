/**
 * The command line every pingora-ts server understands (Pingora's Opt):
 * -c/--conf FILE, -d/--daemon, -t/--test, -u/--upgrade, --nocapture and
 * -h/--help. Apps get it for free through `Server.fromArgs()`.
 */
import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';
import { ErrorType, PingoraError } from '@pingora-ts/error';

export interface ServerOptions {
  /** Path of the YAML configuration file. */
  readonly conf?: string | undefined;
  /** Run in the background (overrides the file's `daemon: false`). */
  readonly daemon?: boolean;
  /** Validate the configuration (server and app settings) and exit. */
  readonly test?: boolean;
  /** Take over the listening sockets of a running server (graceful upgrade). */
  readonly upgrade?: boolean;
  /** Accepted and ignored, as Pingora does (test harnesses pass it). */
  readonly nocapture?: boolean;
  /** Print the usage and exit. */
  readonly help?: boolean;
}

export const CLI_USAGE = `Usage: <app> [options]

Options:
  -c, --conf <FILE>  the path to the YAML configuration file
  -d, --daemon       run in the background
  -t, --test         test the configuration (server and app settings) and exit
  -u, --upgrade      take over the listening sockets of a running server
  -h, --help         print this help and exit
`;

// node:util's parseArgs covers what Pingora's Opt accepts: `-c FILE`, `-cFILE`,
// `--conf FILE`, `--conf=FILE`, grouped short flags (`-dtc FILE`), and refuses
// unknown options, stray arguments and a flag given a value.
const OPTIONS = {
  conf: { type: 'string', short: 'c' },
  daemon: { type: 'boolean', short: 'd' },
  test: { type: 'boolean', short: 't' },
  upgrade: { type: 'boolean', short: 'u' },
  nocapture: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsOptionsConfig;

/**
 * Parses arguments (without the node binary and script). Anything it does not
 * accept is a ConfigError that names the argument.
 */
export function parseServerArgs(args: readonly string[]): ServerOptions {
  let values: { [K in keyof typeof OPTIONS]?: string | boolean };
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: OPTIONS,
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    // parseArgs' own message names the argument; its first line is enough.
    const message =
      err instanceof Error ? (err.message.split('\n')[0] ?? err.message) : String(err);
    throw usageError(message);
  }
  if (values.conf === '') throw usageError('--conf needs a file path');
  const out: { -readonly [K in keyof ServerOptions]: ServerOptions[K] } = {};
  // Only the flags given appear, as before: `{}` for no arguments.
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined) (out as Record<string, unknown>)[key] = value;
  }
  return out;
}
function usageError(message: string): PingoraError {
  return PingoraError.explain(ErrorType.ConfigError, `command line: ${message} (see --help)`);
}
