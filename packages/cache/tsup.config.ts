import { defineConfig } from 'tsup';
import { packageBuild } from '../../tooling/tsup.ts';

export default defineConfig(
  packageBuild(['src/index.ts', 'src/rfc9111.ts', 'src/testing/index.ts'], {
    external: ['vitest'],
  }),
);
