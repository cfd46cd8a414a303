/**
 * A gateway whose file holds a key no schema reads refuses to start (it
 * would otherwise run on its defaults, with demo origins, and say nothing),
 * and the error points at the key it likely meant.
 */
import { expect, it } from 'vitest';
import { startGateway } from './utils/harness.ts';

it('refuses a top-level `upstream:` and hints load_balancer.upstreams', async () => {
  await expect(startGateway('', 'upstream:\n  - 127.0.0.1:1\n')).rejects.toThrow(
    /<inline>:2:1: upstream: unknown key \(did you mean "load_balancer\.upstreams"\?\)/,
  );
});

it('refuses a misspelt nested key with a hint', async () => {
  await expect(startGateway('  selecton: random\n')).rejects.toThrow(
    /load_balancer\.selecton: unknown key \(did you mean "selection"\?/,
  );
});
