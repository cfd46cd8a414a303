/**
 * @pingora-ts/app-demo-origin: what the sample gateways share: the
 * in-process demo origin they start when their configuration names no
 * upstream (so they run offline), and their logger (pretty on a terminal).
 */
export { type DemoOrigin, serveOnLoopback, startDemoOrigin } from './demo-origin.ts';
export { type Closable, demoOriginService } from './demo-origin-service.ts';
export { type SampleLoggerOptions, sampleLogger } from './sample-logger.ts';
