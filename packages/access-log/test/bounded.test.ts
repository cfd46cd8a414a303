/**
 * The access log's memory is bounded: lines written faster than the disk
 * takes them queue up to max_pending_bytes, past which they are dropped and
 * counted (AccessLog.dropped) instead of growing the heap; what was queued
 * still reaches the file (even though it was still opening), and close()
 * resolves once it is there.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RequestHeader } from '@pingora-ts/http';
import type { Session } from '@pingora-ts/proxy';
import { describe, expect, it } from 'vitest';
import { AccessLog } from '../src/access-log.ts';

/** The fields a combined line reads, on a plain object (no connection needed for this bound). */
function finishedRequest(): Session {
  const req = RequestHeader.build('GET', `/${'p'.repeat(200)}`);
  req.appendHeader('User-Agent', 'bounded-test');
  return {
    reqHeader: req,
    digest: { peerAddr: { kind: 'inet', family: 4, address: '127.0.0.1', port: 1 } },
    downstream: { responseWritten: { status: 200 } },
    responseBodyBytes: 5,
  } as unknown as Session;
}

describe('AccessLog bound', () => {
  it('drops and counts lines past maxPendingBytes, keeps the rest', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'access-bound-')), 'access.log');
    const log = new AccessLog({
      path,
      format: 'combined',
      maxPendingBytes: 16 * 1024,
      reopenOnSignal: false,
    });
    const s = finishedRequest();
    // One event-loop turn: nothing reaches the disk meanwhile, so the queue fills.
    for (let i = 0; i < 1000; i++) log.log(s, undefined);
    expect(log.dropped).toBeGreaterThan(800);
    await log.close();
    const lines = readFileSync(path, 'utf8')
      .split('\n')
      .filter((l) => l !== '');
    expect(lines.length).toBe(1000 - log.dropped);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines[0]).toMatch(
      /^127\.0\.0\.1 - - \[.*\] "GET \/p+ HTTP\/1\.1" 200 5 "-" "bounded-test"$/,
    );
    // Closed: later lines are ignored, not queued.
    log.log(s, undefined);
    expect(log.dropped).toBe(1000 - lines.length);
  });
});
