/**
 * Connection filter sample: `node dist/main.js -c conf.yaml`. An HTTP
 * service whose DenyFilter refuses clients by address before reading from
 * them; admitted clients get a plain answer naming their address.
 */

import { isIP } from 'node:net';
import { sampleLogger } from '@pingora-ts/app-demo-origin';
import {
  configField,
  defineConfigSchema,
  ListeningService,
  responseHead,
  Server,
  serveHttp,
  useProxyYoungGeneration,
} from '@pingora-ts/core';
import { DenyFilter } from './deny-filter.ts';

// First, before anything opens: 8 MiB semi-spaces (re-executes once; see core).
useProxyYoungGeneration();

/** An IP address or CIDR range (`10.0.0.0/8`, `::1`), checked where it is written. */
function ipOrRange(rule: string): string | undefined {
  const [address = '', prefix, extra] = rule.split('/');
  const family = isIP(address);
  const max = family === 4 ? 32 : 128;
  const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= max);
  return family !== 0 && prefixOk && extra === undefined
    ? undefined
    : `"${rule}" is not an IP address or CIDR range`;
}

const schema = defineConfigSchema({
  listen: configField.addressList({ default: ['127.0.0.1:6200'], maxItems: 64 }),
  /** Addresses or CIDR ranges that may connect; empty: everyone not denied. */
  allow: configField.stringList({ default: [], item: ipOrRange }),
  /** Addresses or CIDR ranges refused before anything is read. */
  deny: configField.stringList({ default: [], item: ipOrRange }),
});

const server = Server.fromArgs(process.argv.slice(2), { logger: sampleLogger });
const config = server.appConfig(schema, 'connection_filter');
const log = server.logger.child({ service: 'connection-filter' });

const app = serveHttp(
  async (session) => {
    const peer = session.digest.peerAddr;
    return {
      header: responseHead(200, { 'Content-Type': 'text/plain' }),
      body: `hello ${peer?.kind === 'inet' ? peer.address : 'client'}\n`,
    };
  },
  { logger: server.logger },
);
const service = new ListeningService('connection-filter', app, {
  connectionFilter: new DenyFilter(config, log),
});
for (const addr of config.listen) service.addAddress(addr);
server.addService(service);
await server.runForever();
