/**
 * One ACME order through acme-client: a fresh P-256 key and CSR for one
 * name, the challenges published in PendingChallenges while the order runs
 * (http-01 token or tls-alpn-01 certificate) and removed after, bounded by a
 * timeout. The ACME server validates; acme-client's own self-check (which
 * needs real ports 80/443) is skipped.
 */

import { ErrorType, PingoraError } from '@pingora-ts/error';
import * as acme from 'acme-client';
import type { PendingChallenges } from './challenges.ts';
import type { StoredCertificate } from './storage.ts';

export type ChallengeType = 'http-01' | 'tls-alpn-01';

export interface OrderParams {
  readonly client: acme.Client;
  readonly name: string;
  readonly email: string | undefined;
  readonly termsOfServiceAgreed: boolean;
  readonly challenges: readonly ChallengeType[];
  readonly pending: PendingChallenges;
  readonly timeoutMs: number;
}

export async function orderCertificate(p: OrderParams): Promise<StoredCertificate> {
  const key = await acme.crypto.createPrivateEcdsaKey('P-256');
  const [, csr] = await acme.crypto.createCsr({ commonName: p.name, altNames: [p.name] }, key);
  const published: Array<() => void> = [];
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          PingoraError.explain(
            ErrorType.InternalError,
            `ACME: the order for ${p.name} took longer than ${p.timeoutMs} ms`,
          ),
        ),
      p.timeoutMs,
    );
    timer.unref();
  });
  const order = p.client.auto({
    csr,
    ...(p.email === undefined ? {} : { email: p.email }),
    termsOfServiceAgreed: p.termsOfServiceAgreed,
    challengePriority: [...p.challenges],
    skipChallengeVerification: true,
    challengeCreateFn: async (authz, challenge, keyAuthorization) => {
      // acme-client's types predate tls-alpn-01: compare as strings.
      const type: string = challenge.type;
      if (challenge.type === 'http-01') {
        p.pending.addHttp(challenge.token, keyAuthorization);
        published.push(() => p.pending.removeHttp(challenge.token));
      } else if (type === 'tls-alpn-01') {
        const [alpnKey, alpnCert] = await acme.crypto.createAlpnCertificate(
          authz,
          keyAuthorization,
        );
        const name = authz.identifier.value;
        p.pending.addAlpn(name, { cert: alpnCert, key: alpnKey });
        published.push(() => p.pending.removeAlpn(name));
      } else {
        throw PingoraError.explain(
          ErrorType.InternalError,
          `ACME: challenge type ${type} is not supported`,
        );
      }
    },
    challengeRemoveFn: async () => {},
  });
  try {
    const cert = await Promise.race([order, timeout]);
    return { cert, key: key.toString() };
  } catch (err) {
    throw err instanceof PingoraError
      ? err
      : PingoraError.because(ErrorType.InternalError, `ACME: the order for ${p.name} failed`, err);
  } finally {
    clearTimeout(timer);
    for (const remove of published) remove();
    // A timed-out order may still be running: let its late failure go unreported.
    order.catch(() => {});
  }
}
