/** Kernel capability checks: reuseport platforms and tcp_migrate_req advice. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrateReqAdvice, reusePortSupported, tcpMigrateReq } from '../src/index.ts';

describe('kernel checks', () => {
  it('knows where SO_REUSEPORT exists', () => {
    expect(reusePortSupported('linux')).toBe(true);
    expect(reusePortSupported('freebsd')).toBe(true);
    expect(reusePortSupported('darwin')).toBe(false);
    expect(reusePortSupported('win32')).toBe(false);
  });

  it('reads tcp_migrate_req, undefined where it does not exist', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pingora-ts-runtime-'));
    try {
      writeFileSync(join(dir, 'one'), '1\n');
      writeFileSync(join(dir, 'junk'), 'x\n');
      expect(tcpMigrateReq(join(dir, 'one'))).toBe(1);
      expect(tcpMigrateReq(join(dir, 'junk'))).toBeUndefined();
      expect(tcpMigrateReq(join(dir, 'missing'))).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says what to set when queued connections would be reset', () => {
    expect(migrateReqAdvice(1)).toBeUndefined();
    expect(migrateReqAdvice(0)).toMatch(/sysctl -w net\.ipv4\.tcp_migrate_req=1/);
    expect(migrateReqAdvice(undefined)).toMatch(/Linux 5\.14\+.*SIGUSR2/);
  });
});
