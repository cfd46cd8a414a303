/**
 * Prints the top self-time functions and files of .cpuprofile files:
 * `node bench/proxy/cpuprofile-top.ts <file.cpuprofile>... [--top N]`.
 * The runner's `--cpu-prof` mode prints the same summary for each profile.
 */
import { parseArgs } from 'node:util';
import { formatProfile, summarizeProfile } from './lib/cpuprofile.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '25' } },
});
const n = Number(values.top);
if (positionals.length === 0 || !Number.isInteger(n) || n <= 0) {
  process.stderr.write(
    'usage: node bench/proxy/cpuprofile-top.ts <file.cpuprofile>... [--top N]\n',
  );
  process.exit(2);
}
for (const path of positionals) {
  try {
    process.stdout.write(`${formatProfile(path, summarizeProfile(path, n))}\n\n`);
  } catch (err) {
    process.stderr.write(`${path}: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
