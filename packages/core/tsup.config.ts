import { defineConfig } from 'tsup';
import { packageBuild } from '../../tooling/tsup.ts';

// The main entry plus the subpaths other pingora-ts packages build on.
export default defineConfig(
  packageBuild([
    'src/index.ts',
    'src/h1.ts',
    'src/h2.ts',
    'src/connectors.ts',
    'src/compression.ts',
    'src/diagnostics.ts',
    'src/tls.ts',
  ]),
);
