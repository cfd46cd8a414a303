import { describe, expect, it } from 'vitest';

describe('workspace runtime', () => {
  it('runs tests on the workspace Node 24, not the host Node', () => {
    console.log(`vitest runs on Node ${process.version}`);
    const major = Number(process.versions.node.split('.')[0]);
    expect(major).toBeGreaterThanOrEqual(24);
  });
});
