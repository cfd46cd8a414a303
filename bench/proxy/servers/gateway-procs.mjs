/**
 * N processes of the gateway on one port (the "N processes" design the
 * threads benchmark compares `threads: N` against): all start at once with
 * `-u`, so each binds into one SO_REUSEPORT group without the "port in use"
 * probe, and the kernel spreads connections over N independent processes,
 * each with its own upstream pool, health checks and counters. The run's
 * warm-up covers the few hundred milliseconds between their starts.
 * All stay in this process group (the bench measures CPU and memory over
 * it); SIGTERM reaches every process, and this one exits once they all did.
 *
 *   node gateway-procs.mjs <count> <node args...> <main.js> -c <conf>
 */
import { spawn } from 'node:child_process';

const [countArg, ...command] = process.argv.slice(2);
const count = Number(countArg);
if (!Number.isSafeInteger(count) || count < 1 || count > 64 || command.length === 0) {
  process.stderr.write('usage: gateway-procs.mjs <count 1..64> <node args...>\n');
  process.exit(2);
}

const children = [];
let stopping = false;
const exits = [];
function start(index) {
  // The runner's GC stats files are named by thread id: one prefix per process keeps them apart.
  const env = { ...process.env };
  const gcStats = env.PINGORA_BENCH_GC_STATS;
  if (gcStats !== undefined && gcStats !== '') env.PINGORA_BENCH_GC_STATS = `${gcStats}.p${index}`;
  const child = spawn(process.execPath, [...command, '-u'], { stdio: 'inherit', env });
  children.push(child);
  exits.push(
    new Promise((resolve) =>
      child.once('exit', (code) => {
        // One gateway gone while the others run: not the design under test any more.
        if (!stopping) {
          process.stderr.write(`gateway-procs: pid ${child.pid} exited (${code}); stopping\n`);
          void stop(1);
        }
        resolve(code);
      }),
    ),
  );
}

async function stop(code, signal = 'SIGTERM') {
  if (stopping) return;
  stopping = true;
  for (const c of children) if (c.exitCode === null) c.kill(signal);
  await Promise.all(exits);
  process.exit(code);
}

process.on('SIGTERM', () => void stop(0));
process.on('SIGINT', () => void stop(0));
// A CPU-profiled run stops its peer with SIGUSR2 (exit-on-signal.mjs in every gateway).
process.on('SIGUSR2', () => void stop(0, 'SIGUSR2'));
for (let i = 0; i < count; i++) start(i);
