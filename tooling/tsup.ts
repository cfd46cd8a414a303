/**
 * The one tsup build every package and app uses: ESM for Node 22.12+, with
 * declarations and source maps. A package's tsup.config.ts names its entries.
 */
import type { Options } from 'tsup';

export function packageBuild(entry: string[] = ['src/index.ts'], extra: Options = {}): Options {
  return {
    entry,
    format: ['esm'],
    target: 'node22',
    platform: 'node',
    dts: true,
    sourcemap: true,
    clean: true,
    ...extra,
  };
}

/** Apps bundle their own code but keep workspace packages and dependencies external. */
export function appBuild(entry: string[] = ['src/main.ts']): Options {
  return packageBuild(entry, { dts: false });
}
