/**
 * The hello app: a ServeHttp handler turned into a ServerApp with
 * serveHttp(). `GET /` answers the configured message; `POST /echo` reads the
 * request body and sends it back; anything else is a 404. Keep-alive,
 * pipelining, strict parsing and timeouts come from the HTTP/1 session.
 */
import {
  configField,
  defineConfigSchema,
  type H1ServerOptions,
  type HttpResponse,
  type HttpServer,
  type HttpServerSession,
  type Logger,
  parseSocketAddr,
  responseHead,
  serveHttp,
} from '@pingora-ts/core';

/** The app's settings: the `hello:` section of the configuration file. */
export const helloConfigSchema = defineConfigSchema({
  listen: configField.stringList({ default: ['127.0.0.1:6197'], maxItems: 64, item: checkAddr }),
  message: configField.string({ default: 'Hello, world!' }),
  keepaliveTimeoutSeconds: configField.number({
    key: 'keepalive_timeout_seconds',
    default: 60,
    min: 0.01,
    max: 86_400,
  }),
});

export type HelloConfig = ReturnType<typeof helloConfigSchema.read>;

/** Bodies `POST /echo` accepts. */
const MAX_ECHO_BYTES = 1024 * 1024;

function checkAddr(addr: string): string | undefined {
  try {
    return parseSocketAddr(addr).kind === 'inet' ? undefined : 'only ip:port endpoints';
  } catch {
    return `"${addr}" is not "ip:port" or "[ipv6]:port"`;
  }
}

/**
 * The hello server. `timeouts` are the server's downstream timeout keys
 * (h1TimeoutsFromServerConf); the app's own keepalive_timeout_seconds wins
 * over downstream_keepalive_timeout_seconds.
 */
export function helloApp(
  config: HelloConfig,
  logger?: Logger,
  timeouts: H1ServerOptions = {},
): HttpServer {
  const message = Buffer.from(`${config.message}\n`);
  const handler = async (session: HttpServerSession): Promise<HttpResponse> => {
    const req = session.requestHeader;
    if (req?.path === '/' && (req.method === 'GET' || req.method === 'HEAD')) {
      return { header: responseHead(200, { 'Content-Type': 'text/plain' }), body: message };
    }
    if (req?.path === '/echo' && req.method === 'POST') {
      const chunks: Buffer[] = [];
      for (let c = await session.readBodyChunk(); c !== null; c = await session.readBodyChunk()) {
        chunks.push(Buffer.from(c));
      }
      const type = req.getHeader('content-type') ?? 'application/octet-stream';
      return { header: responseHead(200, { 'Content-Type': type }), body: Buffer.concat(chunks) };
    }
    return { header: responseHead(404, { 'Content-Type': 'text/plain' }), body: 'not found\n' };
  };
  return serveHttp(handler, {
    h1: {
      ...timeouts,
      keepaliveTimeoutMs: config.keepaliveTimeoutSeconds * 1000,
      maxRequestBodyBytes: MAX_ECHO_BYTES,
    },
    ...(logger === undefined ? {} : { logger }),
  });
}
