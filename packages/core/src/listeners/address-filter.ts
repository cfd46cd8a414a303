/**
 * addressFilter: a ready-made ConnectionFilter that allows or denies peers by
 * IP address or CIDR range (IPv4 and IPv6; IPv4-mapped IPv6 peers of a
 * dual-stack listener match IPv4 rules). Deny wins over allow; a non-empty
 * allow list admits only the peers it names.
 */
import { BlockList, isIP } from 'node:net';
import { ErrorType, PingoraError } from '@pingora-ts/error';
import type { ConnectionFilter } from './connection-filter.ts';

export interface AddressFilterOptions {
  /** Addresses or ranges (`10.0.0.0/8`, `::1`, `2001:db8::/32`) that may connect; empty: everyone. */
  allow?: readonly string[];
  /** Addresses or ranges refused even when allowed. */
  deny?: readonly string[];
  /** Whether Unix socket clients (no IP address) are admitted. Default true. */
  allowUnix?: boolean;
}

/** Rule lists longer than this are refused: use a firewall for big sets. */
export const MAX_ADDRESS_RULES = 100_000;

export function addressFilter(options: AddressFilterOptions): ConnectionFilter {
  const allow = options.allow ?? [];
  const deny = options.deny ?? [];
  const allowList = toBlockList(allow, 'allow');
  const denyList = toBlockList(deny, 'deny');
  const allowAll = allow.length === 0;
  const allowUnix = options.allowUnix !== false;
  return {
    shouldAccept(peer) {
      if (peer === undefined || peer.kind !== 'inet') return allowUnix;
      const family = peer.family === 6 ? 'ipv6' : 'ipv4';
      if (denyList.check(peer.address, family)) return false;
      return allowAll || allowList.check(peer.address, family);
    },
  };
}

function toBlockList(rules: readonly string[], listName: string): BlockList {
  if (rules.length > MAX_ADDRESS_RULES) {
    throw PingoraError.explain(
      ErrorType.ConfigError,
      `address filter: ${listName} has more than ${MAX_ADDRESS_RULES} rules`,
    );
  }
  const list = new BlockList();
  rules.forEach((rule, i) => {
    const slash = rule.indexOf('/');
    const address = slash < 0 ? rule : rule.slice(0, slash);
    const family = isIP(address);
    const max = family === 4 ? 32 : 128;
    const prefix = slash < 0 ? max : Number(rule.slice(slash + 1));
    const prefixOk = slash < 0 || /^\d{1,3}$/.test(rule.slice(slash + 1));
    if (family === 0 || !prefixOk || prefix > max) {
      throw PingoraError.explain(
        ErrorType.ConfigError,
        `address filter: ${listName}[${i}] "${rule}" is not an IP address or CIDR range`,
      );
    }
    list.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
  });
  return list;
}
