/**
 * The sample apps' logger: pino-pretty lines for a terminal, the server's
 * JSON lines otherwise (and always when error_log is set). Checked in
 * process (forced TTY, lines to a file) and end to end on a real
 * pseudo-terminal (`script`) against a pipe.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_SERVER_CONF } from '@pingora-ts/core';
import { describe, expect, it } from 'vitest';
import { sampleLogger } from '../src/sample-logger.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/log-once.ts', import.meta.url));

async function waitForText(path: string, pattern: RegExp): Promise<string> {
  const deadline = Date.now() + 5000;
  for (;;) {
    let text = '';
    try {
      text = readFileSync(path, 'utf8');
    } catch {}
    if (pattern.test(text)) return text;
    if (Date.now() > deadline) throw new Error(`no ${pattern} in ${path}: ${text}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('sampleLogger', () => {
  it('writes pino-pretty lines when a person is watching', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sample-logger-'));
    const out = join(dir, 'pretty.log');
    const logger = sampleLogger(DEFAULT_SERVER_CONF, { tty: true, destination: out });
    logger.info({ service: 'proxy' }, 'pretty line');
    const text = await waitForText(out, /pretty line/);
    expect(text).toMatch(/^\[\d{2}:\d{2}:\d{2}\.\d{3}\] INFO: pretty line\n\s+service: "proxy"/m);
    expect(() => JSON.parse(text.split('\n')[0] as string)).toThrow();
  });

  it('keeps JSON lines when error_log is set, even on a terminal', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sample-logger-'));
    const errorLog = join(dir, 'error.log');
    const logger = sampleLogger({ ...DEFAULT_SERVER_CONF, errorLog }, { tty: true });
    logger.info('json line');
    const line = JSON.parse((await waitForText(errorLog, /json line/)).trim()) as Record<
      string,
      unknown
    >;
    expect(line).toMatchObject({ level: 30, msg: 'json line' });
  });

  it('is pretty on a real terminal and JSON on a pipe', () => {
    const cmd = `${process.execPath} --conditions=@pingora-ts/source ${FIXTURE}`;
    // script(1) runs the command on a pseudo-terminal: stdout and stderr are TTYs.
    const onTty = spawnSync('script', ['-qec', cmd, '/dev/null'], {
      encoding: 'utf8',
      timeout: 15_000,
    });
    if (onTty.error !== undefined)
      throw new Error(`script(1) is needed (util-linux): ${onTty.error}`);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: colour codes are what a terminal gets
    const plain = onTty.stdout.replace(/\x1b\[[0-9;]*m/g, '');
    expect(plain).toMatch(/INFO.*: hello from the sample logger/);
    expect(plain).not.toContain('"msg"');
    const onPipe = spawnSync(process.execPath, ['--conditions=@pingora-ts/source', FIXTURE], {
      encoding: 'utf8',
      timeout: 15_000,
    });
    const line = onPipe.stderr.split('\n').find((l) => l.includes('hello from the sample logger'));
    expect(JSON.parse(line ?? '{}')).toMatchObject({ level: 30, sample: 'log-once' });
  });
});
