/**
 * A raw socket exchange for byte-exact checks (HEAD responses, keep-alive):
 * sends bytes, collects what comes back until the server closes or has been
 * quiet for `idleMs`, as a latin1 string.
 */
import { rawExchange as rawBytes } from '../../../../tooling/test-http.ts';

/** The shared rawExchange with a 500 ms idle bound, its reply read as latin1. */
export async function rawExchange(port: number, bytes: string, idleMs = 500): Promise<string> {
  return (await rawBytes(port, bytes, idleMs)).toString('latin1');
}
