/**
 * The command line every pingora-ts server understands (Pingora's Opt):
 * -c/--conf FILE, -d/--daemon, -t/--test, -u/--upgrade, --nocapture and
 * -h/--help. Apps get it for free through `Server.fromArgs()`.
 */
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

const FLAGS: Record<string, keyof ServerOptions> = {
  '-d': 'daemon',
  '--daemon': 'daemon',
  '-t': 'test',
  '--test': 'test',
  '-u': 'upgrade',
  '--upgrade': 'upgrade',
  '--nocapture': 'nocapture',
  '-h': 'help',
  '--help': 'help',
};

/**
 * Parses arguments (without the node binary and script). Accepts
 * `-c FILE`, `-cFILE`, `--conf FILE`, `--conf=FILE` and grouped short flags
 * (`-dt`). Anything else is a ConfigError that names the argument.
 */
export function parseServerArgs(args: readonly string[]): ServerOptions {
  const out: { -readonly [K in keyof ServerOptions]: ServerOptions[K] } = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const flag = FLAGS[arg];
    if (flag !== undefined) {
      out[flag] = true as never;
      continue;
    }
    if (arg === '-c' || arg === '--conf') {
      const value = args[i + 1];
      if (value === undefined || value === '') throw usageError(`${arg} needs a file path`);
      out.conf = value;
      i++;
      continue;
    }
    if (arg.startsWith('--conf=')) {
      const value = arg.slice('--conf='.length);
      if (value === '') throw usageError('--conf needs a file path');
      out.conf = value;
      continue;
    }
    if (arg.length > 1 && arg[0] === '-' && arg[1] !== '-') {
      // Grouped short flags; `c` takes the rest of the group (or the next argument) as its value.
      for (let j = 1; j < arg.length; j++) {
        const letter = arg[j] as string;
        if (letter === 'c') {
          const rest = arg.slice(j + 1);
          const value = rest !== '' ? rest : args[++i];
          if (value === undefined || value === '') throw usageError('-c needs a file path');
          out.conf = value;
          break;
        }
        const short = FLAGS[`-${letter}`];
        if (short === undefined) throw usageError(`unknown option -${letter}`);
        out[short] = true as never;
      }
      continue;
    }
    throw usageError(`unexpected argument "${arg}"`);
  }
  return out;
}

function usageError(message: string): PingoraError {
  return PingoraError.explain(ErrorType.ConfigError, `command line: ${message} (see --help)`);
}
