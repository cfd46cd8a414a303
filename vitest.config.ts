/**
 * Root vitest config: one run over every package and app project, reading
 * sources directly (no build needed). `npm test` runs this.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*'],
    reporters: ['default'],
  },
});
