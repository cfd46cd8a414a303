import { defineConfig } from 'tsup';
import { appBuild } from '../../tooling/tsup.ts';

export default defineConfig(appBuild());
