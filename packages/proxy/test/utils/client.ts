/**
 * Test clients, from the shared tooling/test-http.ts: `request` over
 * node:http (fresh connection, body as Buffer) and `rawExchange` over a plain
 * socket for byte-exact checks (header case, truncation) that node:http would
 * normalise away.
 */
export {
  httpRequest as request,
  rawExchange,
  type TestResponse,
} from '../../../../tooling/test-http.ts';
