import { packageTests } from '../../tooling/vitest.ts';

export default packageTests('@pingora-ts/app-grpc-web');
