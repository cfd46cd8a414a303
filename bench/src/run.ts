/**
 * Runs every micro-benchmark in bench/src/*.bench.ts (or those whose names
 * contain the first argument), prints mitata's tables, then each group's
 * benchmarks with their throughput in operations per second.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from 'mitata';

const here = dirname(fileURLToPath(import.meta.url));
const filter = process.argv[2];
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts') && (filter === undefined || f.includes(filter)))
  .sort();
for (const file of files) await import(join(here, file));

// mitata prints a group's `• name` line before running its trials, so the
// last one seen names the group of each trial as it completes.
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');
let currentGroup = '';
const groupOf = new Map<object, string>();
const { benchmarks } = await run({
  print: (line: string) => {
    const plain = line.replace(ANSI, '');
    if (plain.startsWith('• ')) currentGroup = plain.slice(2).trim();
    console.log(line);
  },
  observe: (trial) => {
    groupOf.set(trial, currentGroup);
    return trial;
  },
});

/** `1234567` as `1.23M`, so throughputs of very different sizes read at a glance. */
function humanRate(perSecond: number): string {
  if (perSecond >= 1e9) return `${(perSecond / 1e9).toFixed(2)}G`;
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)}M`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(2)}k`;
  return perSecond.toFixed(1);
}

const rows: Array<[group: string, name: string, rate: string]> = [];
for (const trial of benchmarks) {
  for (const r of trial.runs) {
    if (r.stats === undefined) continue;
    rows.push([groupOf.get(trial) ?? '', r.name, `${humanRate(1e9 / r.stats.avg)} ops/s`]);
  }
}
if (rows.length > 0) {
  const width = Math.max(...rows.map(([, n]) => n.length));
  console.log('\nthroughput (1 / mean time per iteration):');
  let group: string | undefined;
  for (const [g, name, rate] of rows) {
    if (g !== group) {
      group = g;
      if (g !== '') console.log(`  ${g}`);
    }
    console.log(`    ${name.padEnd(width)}  ${rate.padStart(14)}`);
  }
}
