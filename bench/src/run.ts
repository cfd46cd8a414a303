/**
 * Runs every micro-benchmark in bench/src/*.bench.ts (or those whose names
 * contain the first argument) and prints mitata's tables.
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
await run();
