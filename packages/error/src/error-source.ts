/**
 * Which side of the proxy an error came from (Pingora's ErrorSource): the
 * upstream peer, the downstream client, our own code, or not yet known.
 */

export const ErrorSource = {
  Upstream: 'Upstream',
  Downstream: 'Downstream',
  Internal: 'Internal',
  Unset: 'Unset',
} as const;

export type ErrorSource = (typeof ErrorSource)[keyof typeof ErrorSource];
