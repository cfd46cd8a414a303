/**
 * Wires the gateway into a Server: reads the `load_balancer` section (plain
 * and TLS endpoints), starts
 * demo origins when no upstream is configured, and adds the load balancer
 * (discovery and health checks) as a service the proxy's listening service
 * depends on, so the proxy starts with its first health check round done.
 * The access log and Sentry come from their own sections when configured.
 */

import { AccessLog } from '@pingora-ts/access-log';
import { demoOriginService } from '@pingora-ts/app-demo-origin';
import type { HttpServer, ListeningService, Server } from '@pingora-ts/core';
import { Backend, type LoadBalancer } from '@pingora-ts/load-balancing';
import { httpProxyService } from '@pingora-ts/proxy';
import { setupSentry } from '@pingora-ts/sentry';
import { buildLoadBalancer, healthService } from './balancer.ts';
import { type LbConfig, lbConfigSchema } from './config.ts';
import { startDemoOrigins } from './demo-origins.ts';
import { LbProxy } from './lb-proxy.ts';
import { countsInFlight } from './selection.ts';
import { peerTlsInit } from './upstream-tls-config.ts';

export interface Gateway {
  readonly config: LbConfig;
  readonly lb: LoadBalancer;
  /** The proxy's listening service (its `listening` promise gives the bound addresses). */
  readonly proxy: ListeningService<HttpServer>;
}

/** Adds the gateway's services to `server` (call before `server.run()` / `runForever()`). */
export async function addGateway(server: Server): Promise<Gateway> {
  const config = server.appConfig(lbConfigSchema, 'load_balancer');
  // ACME (and acme-client, about 18 MiB of an idle process) is loaded only for a file with an `acme:` section.
  const acmeModule = hasSection(server, 'acme') ? await import('./acme.ts') : undefined;
  if (acmeModule === undefined) server.claimConfigKeys('acme');
  const acme = acmeModule?.acmeFromConfig(server, config.tls);
  let upstreams = config.upstreams;
  // `-t` only validates: no demo origins for a run that never serves.
  if (upstreams.length === 0 && server.options.test !== true) {
    const demo = await startDemoOrigins(2);
    upstreams = demo.addresses.map((addr) => new Backend(addr));
    server.logger.info(
      { upstreams: demo.addresses },
      'no upstreams configured: started demo origins',
    );
    server.addService(demoOriginService([demo]));
  }

  const lb = buildLoadBalancer(config, upstreams, server.logger.child({ service: 'health_check' }));
  // Off unless their YAML sections configure them.
  const accessLog = AccessLog.fromServer(server);
  await setupSentry(server);
  let proxy = httpProxyService(
    server,
    new LbProxy(lb, {
      hashKey: config.hashKey,
      countInFlight: countsInFlight(config.selection),
      peer: config.upstreamTls === undefined ? undefined : peerTlsInit(config.upstreamTls),
      upstreamProtocol: config.upstreamProtocol,
      maxH2Streams: config.maxH2Streams,
      accessLog,
    }),
    { name: 'load_balancer', h2c: config.h2c },
  );
  if (acmeModule !== undefined && acme !== undefined) {
    proxy = acmeModule.withAcmeHttp(server, proxy, acme);
  }
  for (const addr of config.listen) proxy.addAddress(addr);
  if (config.tls !== undefined) {
    const tls =
      acmeModule !== undefined && acme !== undefined
        ? acmeModule.withAcmeTls(config.tls, acme)
        : config.tls;
    for (const addr of config.tlsListen) proxy.addTlsWithSettings(addr, tls);
  }
  if (acmeModule !== undefined && acme !== undefined) acmeModule.addAcmeService(server, acme);

  const health = server.addService(healthService(lb, 'health_check'));
  server.addService(proxy, { dependsOn: [health] });
  return { config, lb, proxy };
}

/** Whether the server's file has a top-level `section` key (the root is a YAML mapping). */
function hasSection(server: Server, section: string): boolean {
  const root = server.source?.root as { has?(key: string): boolean } | undefined;
  return typeof root?.has === 'function' && root.has(section);
}
