import { packageTests } from '../../tooling/vitest.ts';

// --expose-gc lets the large-body test measure retained memory rather than
// garbage that has not been collected yet.
export default packageTests('@pingora-ts/proxy', {
  pool: 'forks',
  execArgv: ['--expose-gc'],
});
