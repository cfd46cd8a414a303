/**
 * useProxyYoungGeneration: a process started without a young generation
 * size re-executes itself once with --max-semi-space-size (same pid, same
 * arguments, V8 really using the size); one started with a size keeps it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '..', 'src', 'server', 'young-generation.ts');
const dir = mkdtempSync(join(tmpdir(), 'pingora-ts-young-gen-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const script = join(dir, 'main.ts');
writeFileSync(
  script,
  `import { useProxyYoungGeneration } from ${JSON.stringify(SRC)};
console.error('start ' + process.pid);
useProxyYoungGeneration(4);
console.log(JSON.stringify({ pid: process.pid, execArgv: process.execArgv, argv: process.argv.slice(2) }));
`,
);

interface Seen {
  pid: number;
  execArgv: string[];
  argv: string[];
}

/** Runs the script; what it printed last, and the pid of each start it logged. */
function run(flags: string[]): { out: Seen; starts: number[] } {
  const r = spawnSync(process.execPath, [...flags, script, 'a', '--b'], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  expect(r.status).toBe(0);
  const starts = [...r.stderr.matchAll(/^start (\d+)$/gm)].map((m) => Number(m[1]));
  return { out: JSON.parse(r.stdout) as Seen, starts };
}

describe('useProxyYoungGeneration', () => {
  it('a worker thread starts with the execArgv the server threads get', async () => {
    const { workerExecArgv } = await import('../src/server/young-generation.ts');
    const argv = workerExecArgv(['--max-semi-space-size=8', '--no-warnings']);
    expect(argv).toEqual(['--no-warnings']);
    const { Worker } = await import('node:worker_threads');
    const worker = new Worker('process.exit(0)', { eval: true, execArgv: argv });
    expect(await new Promise((resolve) => worker.once('exit', resolve))).toBe(0);
  });

  it('re-executes once with --max-semi-space-size, keeping pid and arguments', () => {
    const { out, starts } = run(['--no-warnings']);
    expect(out.execArgv).toEqual(['--max-semi-space-size=4', '--no-warnings']);
    expect(out.argv).toEqual(['a', '--b']);
    // Started twice, as one process.
    expect(starts).toEqual([out.pid, out.pid]);
  });

  it('leaves a process alone that was started with a young generation size', () => {
    const { out, starts } = run(['--max-semi-space-size=2']);
    expect(out.execArgv).toEqual(['--max-semi-space-size=2']);
    expect(starts).toEqual([out.pid]);
  });
});
