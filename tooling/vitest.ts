/**
 * The vitest project every package and app uses: tests in test/, workspace
 * packages resolved to their sources through the `@pingora-ts/source` export
 * condition, so no build is needed before tests.
 */
import { defineProject, type UserWorkspaceConfig } from 'vitest/config';

const conditions = ['@pingora-ts/source'];

export function packageTests(name: string, test: UserWorkspaceConfig['test'] = {}) {
  return defineProject({
    resolve: { conditions },
    ssr: { resolve: { conditions } },
    test: {
      name,
      include: ['test/**/*.test.ts'],
      testTimeout: 20_000,
      hookTimeout: 20_000,
      passWithNoTests: true,
      ...test,
    },
  });
}
