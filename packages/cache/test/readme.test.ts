/**
 * The README's example runs as written (see tooling/readme-example.ts).
 */
import { join } from 'node:path';
import { readmeExampleTest } from '../../../tooling/readme-example.ts';

readmeExampleTest(join(import.meta.dirname, '..'));
