/**
 * A TypeScript entry run as a real process with the workspace Node (sources
 * through the @pingora-ts/source condition): its output, a wait for a stdout
 * pattern, and SIGTERM with the exit code, each bounded in time.
 */
import { type ChildProcess, spawn } from 'node:child_process';

export interface Proc {
  readonly proc: ChildProcess;
  stdout(): string;
  /** The first match of `re` in stdout (rejects after `ms` or on exit). */
  waitFor(re: RegExp, ms?: number): Promise<RegExpExecArray>;
  /** SIGTERM; resolves with the exit code (SIGKILL and rejects after `ms`). */
  stop(ms?: number): Promise<number | null>;
}

export function spawnEntry(entry: string, args: readonly string[]): Proc {
  const proc = spawn(process.execPath, ['--conditions=@pingora-ts/source', entry, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout?.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  proc.stderr?.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (c) => resolve(c)));
  return {
    proc,
    stdout: () => out,
    async waitFor(re, ms = 30_000) {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        const m = re.exec(out);
        if (m !== null) return m;
        if (proc.exitCode !== null) break;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`no ${re} in stdout: ${out.slice(-2000)}\nstderr: ${err.slice(-2000)}`);
    },
    async stop(ms = 20_000) {
      if (proc.exitCode !== null) return proc.exitCode;
      proc.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((r) => {
        timer = setTimeout(() => r('late'), ms);
      });
      const code = await Promise.race([exited, late]);
      clearTimeout(timer);
      if (code === 'late') {
        proc.kill('SIGKILL');
        throw new Error(`no exit within ${ms} ms after SIGTERM; stderr: ${err.slice(-2000)}`);
      }
      return code;
    },
  };
}
