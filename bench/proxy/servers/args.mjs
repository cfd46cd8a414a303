/**
 * Command line of every Node peer server: `<listen port> <origin host:port>
 * <connections>`, as the runner passes it. Bad input ends the process with a
 * message instead of a stack. The servers are plain JavaScript so that no
 * peer carries Node's TypeScript stripper (about 25 MiB of RSS) into the
 * memory column.
 */

/**
 * @typedef {object} ServerArgs
 * @property {number} port
 * @property {string} originHost
 * @property {number} originPort
 * @property {number} connections client connections the benchmark opens; pool sizes follow it
 */

/** @returns {ServerArgs} */
export function serverArgs() {
  const [port, origin, connections] = process.argv.slice(2);
  const m = /^([^:]+):(\d+)$/.exec(origin ?? '');
  const args = {
    port: Number(port),
    originHost: m?.[1] ?? '',
    originPort: Number(m?.[2]),
    connections: Number(connections),
  };
  const ok = (/** @type {number} */ n) => Number.isInteger(n) && n > 0 && n < 65536;
  if (!ok(args.port) || !ok(args.originPort) || !ok(args.connections) || args.originHost === '') {
    process.stderr.write('usage: <listen port> <origin host:port> <connections>\n');
    process.exit(2);
  }
  return args;
}
