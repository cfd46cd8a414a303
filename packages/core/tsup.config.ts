import { defineConfig } from 'tsup';
import { packageBuild } from '../../tooling/tsup.ts';

// The main entry plus the subpaths other pingora-ts packages build on.
export default defineConfig(
  packageBuild(
    [
      'src/index.ts',
      'src/h1.ts',
      'src/h2.ts',
      'src/connectors.ts',
      'src/compression.ts',
      'src/diagnostics.ts',
      'src/tls.ts',
    ],
    // Declarations keep `@internal` members here: the HTTP/1 sessions implement
    // core's own body and writer interfaces with members tagged so, and a class
    // stripped of them would no longer match its `implements` clause.
    { dts: true },
  ),
);
