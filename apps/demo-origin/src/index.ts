/**
 * @pingora-ts/app-demo-origin: the in-process demo origin the sample gateways
 * start when their configuration names no upstream, so they run offline.
 */
export { type DemoOrigin, serveOnLoopback, startDemoOrigin } from './demo-origin.ts';
