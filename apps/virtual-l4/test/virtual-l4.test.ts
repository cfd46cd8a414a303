/**
 * Smoke test of the virtual L4 sample as a real process: requests through
 * the proxy are answered by the VirtualSocket upstream (its address,
 * 203.0.113.1, is never dialled), one virtual connection per request.
 */
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { get, runSample } from '../../quick-start/test/utils.ts';

const MAIN = join(import.meta.dirname, '..', 'src', 'main.ts');

it('answers through the virtual upstream and exits 0 on SIGTERM', async () => {
  await using app = runSample(
    MAIN,
    'version: 1\ngrace_period_seconds: 1\nvirtual_l4:\n  listen: [127.0.0.1:0]\n  message: from the virtual side\n',
  );
  const port = await app.port('virtual-l4');
  for (let i = 0; i < 3; i++) {
    expect(await get(port, `/${i}`)).toEqual({ status: 200, body: 'from the virtual side' });
  }
  expect(app.log()).not.toMatch(/"level":50/); // no error logged
  expect(await app.stop()).toBe(0);
});
