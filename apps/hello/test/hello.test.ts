/**
 * Smoke test of the hello sample: start main.ts as a real process with a
 * config on port 0, send keep-alive requests (GET, POST echo, 404) with
 * node:http, see a malformed request refused, and stop it with SIGTERM.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';

const MAIN = join(import.meta.dirname, '..', 'src', 'main.ts');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function request(
  agent: http.Agent,
  port: number,
  method: string,
  path: string,
  body?: string,
): Promise<{ status: number; body: string; socketReused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        text += d;
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: text, socketReused: req.reusedSocket }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

function raw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    const timer = setTimeout(() => reject(new Error(`no close in time: ${got}`)), 5_000);
    s.setEncoding('latin1');
    s.on('data', (d: string) => {
      got += d;
    });
    s.on('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
    s.on('error', reject);
    s.write(bytes);
  });
}

it('serves HTTP from its config file and exits 0 on SIGTERM', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pingora-ts-hello-'));
  dirs.push(dir);
  const conf = join(dir, 'conf.yaml');
  writeFileSync(
    conf,
    'version: 1\ngrace_period_seconds: 2\nhello:\n  listen: ["127.0.0.1:0"]\n  message: hi there\n',
  );
  const child = spawn(process.execPath, ['--conditions=@pingora-ts/source', MAIN, '-c', conf], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    let log = '';
    child.stderr.setEncoding('utf8');
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not listening in time: ${log}`)), 15_000);
      child.stderr.on('data', (d: string) => {
        log += d;
        const m = /"service":"hello".*"bound":\{[^}]*"port":(\d+)/.exec(log);
        if (m !== null) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
    });
    expect(await request(agent, port, 'GET', '/')).toMatchObject({
      status: 200,
      body: 'hi there\n',
    });
    const echoed = await request(agent, port, 'POST', '/echo', 'ping pong');
    expect(echoed).toEqual({ status: 200, body: 'ping pong', socketReused: true });
    expect(await request(agent, port, 'GET', '/nope')).toMatchObject({
      status: 404,
      socketReused: true,
    });
    expect(await raw(port, 'GET / HTTP/1.1\r\nHost : a\r\n\r\n')).toMatch(
      /^HTTP\/1\.1 400 Bad Request\r\n/,
    );
    agent.destroy();
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => resolve(code)),
    );
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  } finally {
    agent.destroy();
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
