/**
 * The one tsup build every package and app uses: ESM for Node 22.12+, with
 * declarations (without `@internal` members) and source maps. A package's
 * tsup.config.ts names its entries.
 */
import type { Options } from 'tsup';

export function packageBuild(entry: string[] = ['src/index.ts'], extra: Options = {}): Options {
  return {
    entry,
    format: ['esm'],
    target: 'node22',
    platform: 'node',
    // Members marked `@internal` (reached by other modules of the package, not by users) are
    // left out of the published declarations.
    dts: { compilerOptions: { stripInternal: true } },
    sourcemap: true,
    clean: true,
    ...extra,
  };
}

/** Apps bundle their own code but keep workspace packages and dependencies external. */
export function appBuild(entry: string[] = ['src/main.ts']): Options {
  return packageBuild(entry, { dts: false });
}
