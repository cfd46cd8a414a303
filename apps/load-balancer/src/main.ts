/**
 * Load balancer sample: `node dist/main.js -c conf.yaml`. Pingora's quick
 * start in TypeScript: a Server from the CLI and YAML, a LoadBalancer whose
 * selection algorithm, weights and health check come from the
 * `load_balancer` section, and an HttpProxy listening service in front,
 * plain and TLS (`tls_listen`; `--gen-self-signed` makes a localhost
 * certificate for a first try).
 */
import { sampleLogger } from '@pingora-ts/app-demo-origin';
import { Server, useProxyYoungGeneration } from '@pingora-ts/core';
import { addGateway } from './gateway.ts';
import { GEN_SELF_SIGNED_FLAG, genSelfSigned } from './self-signed.ts';

// First, before anything opens: 8 MiB semi-spaces (re-executes once; see core).
useProxyYoungGeneration();

const args = process.argv.slice(2);
const gen = args.includes(GEN_SELF_SIGNED_FLAG);
const server = Server.fromArgs(
  args.filter((a) => a !== GEN_SELF_SIGNED_FLAG),
  { logger: sampleLogger },
);
if (gen) {
  const written = genSelfSigned(server, 'load_balancer');
  server.logger.warn({ written }, 'self-signed localhost certificate (for testing only)');
}
await addGateway(server);
server.bootstrap();
await server.runForever();
