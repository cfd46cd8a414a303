/**
 * Virtual L4 sample: `node dist/main.js -c conf.yaml`. An HTTP proxy whose
 * upstream peer carries a custom L4 connector (`options.customL4`): the
 * proxy, its HTTP/1 client session and the pool run as for TCP, but the
 * bytes go to a VirtualSocket in this process. The peer's address is never dialled.
 */
import { sampleLogger } from '@pingora-ts/app-demo-origin';
import {
  configField,
  defineConfigSchema,
  HttpPeer,
  Server,
  useProxyYoungGeneration,
} from '@pingora-ts/core';
import { httpProxyService, type ProxyHttp } from '@pingora-ts/proxy';
import { StaticConnector } from './static-connector.ts';

// First, before anything opens: 8 MiB semi-spaces (re-executes once; see core).
useProxyYoungGeneration();

const schema = defineConfigSchema({
  listen: configField.addressList({ default: ['127.0.0.1:6201'], maxItems: 64 }),
  message: configField.string({ default: 'Hello, world!' }),
});

class VirtualProxy implements ProxyHttp<null> {
  readonly #peer: HttpPeer;

  constructor(message: string) {
    // One peer for every request: built once, its pool key covers the connector's name.
    const customL4 = new StaticConnector(message);
    this.#peer = new HttpPeer('203.0.113.1:80', { sni: 'example.org', options: { customL4 } });
  }

  newCtx(): null {
    return null;
  }

  upstreamPeer(): HttpPeer {
    return this.#peer;
  }
}

const server = Server.fromArgs(process.argv.slice(2), { logger: sampleLogger });
const config = server.appConfig(schema, 'virtual_l4');
const proxy = httpProxyService(server.configuration, new VirtualProxy(config.message), {
  name: 'virtual-l4',
  logger: server.logger,
});
for (const addr of config.listen) proxy.addAddress(addr);
server.addService(proxy);
await server.runForever();
