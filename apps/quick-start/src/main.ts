/**
 * Quick start, as Pingora's load_balancer.rs: round robin over two upstreams
 * with a TCP health check, behind an HTTP proxy. The two upstreams are local
 * origins started here (stand-ins for 1.1.1.1:443 and 1.0.0.1:443), so it runs offline.
 */
import { createServer } from 'node:http';
import { configField, defineConfigSchema, Server, useProxyYoungGeneration } from '@pingora-ts/core';
import { PingoraError } from '@pingora-ts/error';
import { LoadBalancer, RoundRobin, TcpHealthCheck } from '@pingora-ts/load-balancing';
import { httpProxyService, type ProxyHttp } from '@pingora-ts/proxy';

// First, before anything opens: 8 MiB semi-spaces (re-executes once; see core).
useProxyYoungGeneration();

const origin = (name: string) =>
  new Promise<string>((ready) => {
    const s = createServer((_req, res) => res.end(`Hello from ${name}\n`)).listen(0, '127.0.0.1');
    s.once('listening', () => ready(`127.0.0.1:${(s.address() as { port: number }).port}`));
  });

class LB implements ProxyHttp<null> {
  readonly upstreams: LoadBalancer;
  constructor(upstreams: LoadBalancer) {
    this.upstreams = upstreams;
  }
  newCtx = () => null;
  upstreamPeer() {
    const upstream = this.upstreams.select(); // round robin needs no key
    if (upstream === undefined) throw PingoraError.httpStatus(502, 'no healthy upstream');
    return upstream.httpPeer(); // built once per backend, not per request
  }
}

const server = Server.fromArgs();
const conf = server.appConfig(
  defineConfigSchema({ listen: configField.string({ default: '127.0.0.1:6188' }) }),
  'quick_start',
);
const upstreams = LoadBalancer.fromAddrs([await origin('one'), await origin('two')], RoundRobin, {
  healthCheckFrequencyMs: 1000,
});
upstreams.setHealthCheck(new TcpHealthCheck());

const background = upstreams.service('health check', { readyAfter: 'health-check' });
const lb = httpProxyService(server.configuration, new LB(upstreams), { logger: server.logger });
lb.addTcp(conf.listen);
server.addService(lb, { dependsOn: [server.addService(background)] });
await server.runForever();
