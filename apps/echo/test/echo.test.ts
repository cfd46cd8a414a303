/**
 * Smoke test of the echo sample: start main.ts as a real process with a
 * config on port 0, echo a message, stop it with SIGTERM (exit 0); and the
 * app in-process over a Unix socket.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createServerLogger,
  DEFAULT_SERVER_CONF,
  ListeningService,
  Server,
} from '@pingora-ts/core';
import { afterEach, expect, it } from 'vitest';
import { EchoApp, echoConfigSchema } from '../src/echo-app.ts';

const MAIN = join(import.meta.dirname, '..', 'src', 'main.ts');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'pingora-ts-echo-'));
  dirs.push(d);
  return d;
}

function echo(target: { port: number } | { path: string }, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = 'path' in target ? connect(target.path) : connect(target.port, '127.0.0.1');
    let got = '';
    const timer = setTimeout(() => reject(new Error('no echo in time')), 5_000);
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      got += d;
      if (got.length >= text.length) s.end();
    });
    s.on('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
    s.on('error', reject);
    s.write(text);
  });
}

it('runs from its config file, echoes, and exits 0 on SIGTERM', async () => {
  const dir = tempDir();
  const conf = join(dir, 'conf.yaml');
  writeFileSync(conf, 'version: 1\ngrace_period_seconds: 2\necho:\n  listen: ["127.0.0.1:0"]\n');
  const child = spawn(process.execPath, ['--conditions=@pingora-ts/source', MAIN, '-c', conf], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  try {
    let log = '';
    child.stderr.setEncoding('utf8');
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not listening in time: ${log}`)), 15_000);
      child.stderr.on('data', (d: string) => {
        log += d;
        const m = /"service":"echo".*"bound":\{[^}]*"port":(\d+)/.exec(log);
        if (m !== null) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
    });
    expect(await echo({ port }, 'hello pingora-ts')).toBe('hello pingora-ts');
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => resolve(code)),
    );
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

it('serves a Unix socket in-process, with its settings from YAML', async () => {
  const path = join(tempDir(), 'echo.sock');
  const server = new Server({
    logger: createServerLogger(DEFAULT_SERVER_CONF, { level: 'silent' }),
    confText: `version: 1\necho:\n  listen: ["unix:${path}"]\n  idle_timeout_seconds: 5\n`,
  });
  const config = server.appConfig(echoConfigSchema, 'echo');
  expect(config).toEqual({ listen: [`unix:${path}`], idleTimeoutSeconds: 5 });
  const service = new ListeningService('echo', new EchoApp(config));
  for (const addr of config.listen) service.addAddress(addr);
  server.addService(service);
  const run = server.run();
  try {
    await run.ready;
    expect(await echo({ path }, 'over unix')).toBe('over unix');
  } finally {
    await run.shutdown();
  }
});
