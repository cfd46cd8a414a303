/**
 * Helpers for the process tests: spawn a TypeScript entry with the workspace
 * Node (sources through the @pingora-ts/source condition), collect its output,
 * wait for a line or for its exit, each with a time limit.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const LINE_SERVER = join(import.meta.dirname, '..', 'fixtures', 'line-server.ts');

export interface Child {
  readonly proc: ChildProcess;
  stdout: string;
  stderr: string;
  /** Resolves with the first stdout line matching `re` (rejects after `ms`). */
  waitFor(re: RegExp, ms?: number): Promise<RegExpExecArray>;
  /** Resolves with the exit code (or signal name) (rejects after `ms`). */
  exited(ms?: number): Promise<number | string>;
  kill(): void;
}

export function spawnTs(entry: string, args: string[], cwd?: string): Child {
  const proc = spawn(process.execPath, ['--conditions=@pingora-ts/source', entry, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd,
    env: { ...process.env, PINGORA_LOG_LEVEL: 'info' },
  });
  const exit = new Promise<number | string>((resolve) => {
    proc.once('exit', (code, signal) => resolve(code ?? signal ?? -1));
  });
  const child: Child = {
    proc,
    stdout: '',
    stderr: '',
    waitFor(re, ms = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = re.exec(child.stdout);
          if (m !== null) {
            cleanup();
            resolve(m);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(
              `timed out waiting for ${re}; stdout: ${child.stdout}; stderr: ${child.stderr}`,
            ),
          );
        }, ms);
        const onExit = () => {
          check();
          cleanup();
          reject(
            new Error(`exited before ${re}; stdout: ${child.stdout}; stderr: ${child.stderr}`),
          );
        };
        const cleanup = () => {
          clearTimeout(timer);
          proc.stdout?.off('data', check);
          proc.off('exit', onExit);
        };
        proc.stdout?.on('data', check);
        proc.once('exit', onExit);
        check();
      });
    },
    exited(ms = 15_000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`process did not exit in ${ms}ms; stderr: ${child.stderr}`)),
          ms,
        );
      });
      return Promise.race([exit, timeout]).finally(() => clearTimeout(timer));
    },
    kill() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    },
  };
  proc.stdout?.setEncoding('utf8').on('data', (d: string) => {
    child.stdout += d;
  });
  proc.stderr?.setEncoding('utf8').on('data', (d: string) => {
    child.stderr += d;
  });
  return child;
}

/** A temporary directory removed by the returned dispose function. */
export function tempDir(): {
  dir: string;
  write(name: string, text: string): string;
  [Symbol.dispose](): void;
} {
  const dir = mkdtempSync(join(tmpdir(), 'pingora-ts-server-'));
  return {
    dir,
    write(name, text) {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    },
    [Symbol.dispose]() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Waits (bounded) until `child`'s stderr matches: stderr is its own pipe, so
 * a line may arrive after the exit or after a stdout line written later.
 */
export async function stderrMatching(child: Child, re: RegExp, ms = 5_000): Promise<string> {
  const until = Date.now() + ms;
  while (!re.test(child.stderr) && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 25));
  }
  return child.stderr;
}
