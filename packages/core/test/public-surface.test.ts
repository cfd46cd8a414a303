/**
 * The main entry is a deliberate list: what applications use (Server,
 * services, ServerConf, peers, session interfaces, settings, modules).
 * A new runtime export fails here on purpose: add it below if applications
 * need it, else export it from the subpath of the packages that build on it.
 */
import { describe, expect, it } from 'vitest';

const MAIN = [
  'ALPN',
  'BasicPeer',
  'ClientCertKey',
  'ClientCertMode',
  'CompressionAlgorithm',
  'ConfigSchema',
  'ConfigSource',
  'DEFAULT_SERVER_CONF',
  'DEFAULT_TIMEOUT_CONF',
  'ExecutionPhase',
  'GrpcWeb',
  'GrpcWebBuilder',
  'GrpcWebMode',
  'HttpConnector',
  'HttpModuleCtx',
  'HttpModules',
  'HttpPeer',
  'HttpServer',
  'ListenerAlpn',
  'ListeningService',
  'PROXY_SEMI_SPACE_MIB',
  'ResponseCompression',
  'ResponseCompressionBuilder',
  'Scheme',
  'ServeHttpApp',
  'Server',
  'Stream',
  'TICKET_KEY_BYTES',
  'TicketKeys',
  'VirtualSocket',
  'acceptAllFilter',
  'addressFilter',
  'backgroundService',
  'configField',
  'createServerLogger',
  'defineConfigSchema',
  'formatSocketAddr',
  'h1TimeoutsFromServerConf',
  'loadServerConf',
  'parseServerArgs',
  'parseServerConf',
  'parseSocketAddr',
  'proxyTimeoutsFromServerConf',
  'readServerConf',
  'responseHead',
  'serveHttp',
  'serverConfWith',
  'sharedInt32',
  'suggestKey',
  'tcpEndpoint',
  'tlsSettings',
  'udsEndpoint',
  'upstreamTimeoutsFromServerConf',
  'useProxyYoungGeneration',
];

describe('@pingora-ts/core public surface', () => {
  it('the main entry exports exactly the application-facing names', async () => {
    const main = await import('../src/index.ts');
    expect(Object.keys(main).sort()).toEqual([...MAIN].sort());
  });

  it('codec, connector and TLS-backend internals are reachable only from their subpaths', async () => {
    const main: Record<string, unknown> = await import('../src/index.ts');
    const subpaths: Record<string, Record<string, unknown>> = {
      h1: await import('../src/h1.ts'),
      connectors: await import('../src/connectors.ts'),
      tls: await import('../src/tls.ts'),
      diagnostics: await import('../src/diagnostics.ts'),
    };
    const where = {
      NEED_MORE: 'h1',
      PARSE_ERROR: 'h1',
      HeadParser: 'h1',
      pickBindTo: 'connectors',
      proxyHandshake: 'connectors',
      TransportConnector: 'connectors',
      DEFAULT_TLS_CIPHERS: 'tls',
      checkTlsSettings: 'tls',
      connectionAcceptedChannel: 'diagnostics',
      phaseChannel: 'diagnostics',
    } as const;
    for (const [name, subpath] of Object.entries(where)) {
      expect(main[name], name).toBeUndefined();
      expect(subpaths[subpath]?.[name], `${subpath}: ${name}`).toBeDefined();
    }
  });
});
