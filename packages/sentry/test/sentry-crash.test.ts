/**
 * Crashes reach Sentry before the process exits: a real process with the
 * `sentry` YAML section dies of an uncaught exception or an unhandled
 * rejection; the fake ingestion endpoint has the fatal event (unhandled
 * mechanism, cause chain) by the time the process has exited with 1.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type Json, startFakeIngest } from './utils/fake-ingest.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/crash-app.ts', import.meta.url));

async function runCrash(
  mode: string,
  dsn: string,
): Promise<{ code: number | null; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'sentry-crash-'));
  const conf = join(dir, 'conf.yaml');
  writeFileSync(conf, `version: 1\nsentry:\n  dsn: ${dsn}\n  flush_timeout_ms: 5000\n`);
  const child = spawn(
    process.execPath,
    ['--conditions=@pingora-ts/source', FIXTURE, mode, '-c', conf],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PINGORA_LOG_LEVEL: 'fatal' },
    },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, stderr };
}

describe('crash reports', () => {
  it('an uncaught exception is reported as fatal, with its cause, before exit 1', async () => {
    await using ingest = await startFakeIngest();
    const { code, stderr } = await runCrash('throw', ingest.dsn);
    expect(code, stderr).toBe(1);
    // Already received when the process was gone: no waiting here.
    const events = ingest.events();
    expect(events).toHaveLength(1);
    const e = events[0] as Record<string, Json>;
    expect(e.level).toBe('fatal');
    const values = e.exception.values as Array<Record<string, Json>>;
    const outer = values[values.length - 1] as Record<string, Json>;
    expect(outer.value).toBe('fixture crash');
    expect(outer.mechanism).toMatchObject({ type: 'onuncaughtexception', handled: false });
    expect(values.map((v) => v.value)).toContain('root of the crash');
    const crumbs = (e.breadcrumbs as Array<{ category: string; data: { phase: string } }>).filter(
      (b) => b.category === 'pingora.phase',
    );
    expect(crumbs.map((b) => b.data.phase)).toContain('Running');
  }, 30_000);

  it('an unhandled rejection is reported as fatal before exit 1', async () => {
    await using ingest = await startFakeIngest();
    const { code, stderr } = await runCrash('reject', ingest.dsn);
    expect(code, stderr).toBe(1);
    const events = ingest.events();
    expect(events).toHaveLength(1);
    const e = events[0] as Record<string, Json>;
    expect(e.level).toBe('fatal');
    const values = e.exception.values as Array<Record<string, Json>>;
    const outer = values[values.length - 1] as Record<string, Json>;
    expect(outer.type).toBe('RangeError');
    expect(outer.mechanism).toMatchObject({ type: 'onunhandledrejection', handled: false });
    expect(outer.value).toBe('fixture rejection');
  }, 30_000);
});
