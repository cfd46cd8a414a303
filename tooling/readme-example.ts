/**
 * Runs a package README's example the way a user would: the first ```ts
 * block of README.md is written next to the package's tests, run by Node 24
 * (type stripping, workspace packages from source) as its own process, and
 * must exit 0 within the time limit. Examples check their own claims with
 * node:assert, so a README that drifts from the code fails its test.
 */
import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

/** The first ```ts block of a markdown text. */
export function firstTsBlock(markdown: string): string | undefined {
  const m = /^```ts\n([\s\S]*?)^```$/m.exec(markdown);
  return m?.[1];
}

/** Registers a test that runs the README example of the package in `packageDir`. */
export function readmeExampleTest(packageDir: string, timeoutMs = 30_000): void {
  it(
    'runs the README example',
    async () => {
      const readme = readFileSync(join(packageDir, 'README.md'), 'utf8');
      const code = firstTsBlock(readme);
      expect(code, 'README.md has a ```ts example').toBeDefined();
      // Inside the package, so its own name and its dependencies resolve as for a user.
      const file = join(packageDir, 'test', `.readme-example-${process.pid}.tmp.ts`);
      writeFileSync(file, code as string);
      try {
        const result = await new Promise<{ code: number | null; out: string }>((resolve) => {
          execFile(
            process.execPath,
            ['--conditions=@pingora-ts/source', file],
            { timeout: timeoutMs, killSignal: 'SIGKILL' },
            (err, stdout, stderr) => {
              const code = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
              resolve({ code, out: `${stdout}${stderr}` });
            },
          );
        });
        expect(result.code, result.out).toBe(0);
      } finally {
        rmSync(file, { force: true });
      }
    },
    timeoutMs + 5_000,
  );
}
