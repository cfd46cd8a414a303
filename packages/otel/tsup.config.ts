import { defineConfig } from 'tsup';
import { packageBuild } from '../../tooling/tsup.ts';

export default defineConfig(packageBuild());
