import { packageTests } from '../../tooling/vitest.ts';

// --expose-gc lets the large-upload test measure retained memory rather than
// garbage that has not been collected yet.
export default packageTests('@pingora-ts/core', {
  pool: 'forks',
  execArgv: ['--expose-gc'],
});
