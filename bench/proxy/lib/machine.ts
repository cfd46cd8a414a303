/**
 * A one-paragraph description of where the numbers were measured: date,
 * CPU, cores, memory, kernel, load, and the versions of Node and the native
 * tools. Printed above every report so a table never travels without it.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';
import { toolVersion } from './tools.ts';

export interface Machine {
  date: string;
  lines: string[];
}

export function describeMachine(): Machine {
  const model = cpus()[0]?.model.trim() ?? 'unknown CPU';
  let distro = 'Linux';
  try {
    const m = /^PRETTY_NAME="?([^"\n]+)"?/m.exec(readFileSync('/etc/os-release', 'utf8'));
    if (m?.[1] !== undefined) distro = m[1];
  } catch {
    // Not every system has os-release; "Linux" will do.
  }
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    lines: [
      `${model}, ${availableParallelism()} CPUs, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, ${distro}, kernel ${release()}, load ${load} at start`,
      `node ${process.version}; ${toolVersion('nginx')}; ${toolVersion('haproxy')}; ${toolVersion('wrk')}`,
    ],
  };
}
