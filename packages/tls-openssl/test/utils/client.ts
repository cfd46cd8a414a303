/**
 * Test client helpers: one GET through an HttpConnector (body, whether the
 * connection was pooled, the upstream TLS digest) and a helper that expects
 * a promise to fail with a PingoraError.
 */
import type { HttpConnector, HttpPeer, UpstreamTlsDigest } from '@pingora-ts/core';
import { PingoraError } from '@pingora-ts/error';
import { RequestHeader } from '@pingora-ts/http';

export interface GetResult {
  body: string;
  reused: boolean;
  tls: UpstreamTlsDigest | undefined;
}

export async function get(connector: HttpConnector, peer: HttpPeer): Promise<GetResult> {
  const { session, reused } = await connector.getHttpSession(peer);
  session.writeRequestHeader(RequestHeader.build('GET', '/').appendHeader('Host', 'localhost'));
  await session.readResponseHeader();
  let body = '';
  for (let c = await session.readBodyChunk(); c !== null; c = await session.readBodyChunk()) {
    body += c.toString('latin1');
  }
  const tls = session.upstreamTls;
  connector.releaseHttpSession(session, peer);
  return { body, reused, tls };
}

export async function failure(promise: Promise<unknown>): Promise<PingoraError> {
  try {
    await promise;
  } catch (err) {
    if (PingoraError.is(err)) return err;
    throw err;
  }
  throw new Error('expected a failure');
}
