/**
 * Command line of every Node peer server: `<listen port> <origin host:port>
 * <connections>`, as the runner passes it. Bad input ends the process with a
 * message instead of a stack.
 */

export interface ServerArgs {
  port: number;
  originHost: string;
  originPort: number;
  /** Client connections the benchmark opens; pool sizes follow it. */
  connections: number;
}

export function serverArgs(): ServerArgs {
  const [port, origin, connections] = process.argv.slice(2);
  const m = /^([^:]+):(\d+)$/.exec(origin ?? '');
  const args = {
    port: Number(port),
    originHost: m?.[1] ?? '',
    originPort: Number(m?.[2]),
    connections: Number(connections),
  };
  const ok = (n: number) => Number.isInteger(n) && n > 0 && n < 65536;
  if (!ok(args.port) || !ok(args.originPort) || !ok(args.connections) || args.originHost === '') {
    process.stderr.write('usage: <listen port> <origin host:port> <connections>\n');
    process.exit(2);
  }
  return args;
}
