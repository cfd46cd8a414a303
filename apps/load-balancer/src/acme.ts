/**
 * ACME in the gateway (optional `acme:` section): certificates for the
 * section's names are issued and renewed by @pingora-ts/tls-acme, served by
 * the `tls_listen` endpoints per SNI (the `tls` certificate stays the
 * fallback), with http-01 answered on the plain endpoints before the proxy.
 */
import {
  backgroundService,
  HttpServer,
  ListeningService,
  type Server,
  type TlsSettings,
} from '@pingora-ts/core';
import { AcmeManager, acmeOptionsFromServer } from '@pingora-ts/tls-acme';

/**
 * The manager for the file's `acme:` section, or undefined without one (the
 * key is claimed either way); `acme.names` defaults to the `tls.sni` names.
 */
export function acmeFromConfig(
  server: Server,
  tls: TlsSettings | undefined,
): AcmeManager | undefined {
  const options = acmeOptionsFromServer(server, 'acme', Object.keys(tls?.sni ?? {}));
  if (options === undefined) return undefined;
  return new AcmeManager({ ...options, logger: server.logger.child({ service: 'acme' }) });
}

/** The proxy service with http-01 answered first (same name, h1/h2 options, TLS backend and logger). */
export function withAcmeHttp(
  server: Server,
  proxy: ListeningService<HttpServer>,
  acme: AcmeManager,
): ListeningService<HttpServer> {
  const app = new HttpServer(acme.httpApp(proxy.app.app), {
    h1: proxy.app.h1Options,
    h2: proxy.app.h2Options,
    h2c: proxy.app.h2c,
    logger: server.logger,
  });
  const tlsBackend = proxy.tlsBackend;
  return new ListeningService(proxy.name, app, tlsBackend === undefined ? {} : { tlsBackend });
}

/** TLS settings that serve the managed certificates and answer tls-alpn-01. */
export function withAcmeTls(settings: TlsSettings, acme: AcmeManager): TlsSettings {
  return { ...settings, callbacks: { ...settings.callbacks, ...acme.tlsAccept() } };
}

/** Runs the manager (not under `-t`): loads or orders at start, stops timers at shutdown. */
export function addAcmeService(server: Server, acme: AcmeManager): void {
  if (server.options.test === true) return;
  server.addService(
    backgroundService({
      name: 'acme',
      start: async (shutdown) => {
        await acme.start();
        await new Promise<void>((resolve) => {
          shutdown.addEventListener('abort', () => resolve(), { once: true });
        });
        acme.stop();
      },
    }),
  );
}
