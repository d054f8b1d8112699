import { lookup as dnsLookup } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { buildConnector } from 'undici';

/*
 * Where outbound requests may go. A webhook sender must not be a tool against
 * the network it runs in, so by default only public unicast addresses are
 * reachable: not loopback, private (RFC 1918), link-local (cloud metadata at
 * 169.254.169.254), CGNAT, multicast, reserved or unspecified addresses, nor
 * IPv6 loopback, ULA and link-local, nor the IPv6 forms that carry an IPv4
 * address (mapped, compatible, NAT64, 6to4). The check runs on every new
 * connection after DNS, on every address the name resolves to, and the
 * connection goes to the address that was checked, so a DNS answer that
 * changes between check and connect (rebinding) gains nothing.
 */

type Address = ipaddr.IPv4 | ipaddr.IPv6;
export type Lookup = (hostname: string) => Promise<string[]>;

export interface OutboundPolicy {
  /** Ranges opened on purpose (OUTBOUND_ALLOW_CIDRS), e.g. loopback for local development. */
  allow: [Address, number][];
  /** Name resolution; the system resolver unless a test replaces it. */
  lookup: Lookup;
}

/** The code of a connection refused by the policy; send.ts reports it as `forbidden_address`. */
export const FORBIDDEN_ADDRESS = 'EFORBIDDENADDRESS';

export class ForbiddenAddressError extends Error {
  override name = 'ForbiddenAddressError';
  readonly code = FORBIDDEN_ADDRESS;
}

const LOOKUP_TIMEOUT_MS = 10_000;

export const systemLookup: Lookup = (hostname) =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(Object.assign(new Error('DNS lookup timed out'), { code: 'EAI_AGAIN' })), LOOKUP_TIMEOUT_MS);
    dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) => {
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(addresses.map((a) => a.address));
    });
  });

/** A policy from CIDR strings (already validated by config/env.ts). */
export function outboundPolicy(cidrs: readonly string[] = [], lookup: Lookup = systemLookup): OutboundPolicy {
  return { allow: cidrs.map((cidr) => ipaddr.parseCIDR(cidr)), lookup };
}

const RANGE_NAMES: Record<string, string> = {
  unspecified: 'an unspecified',
  broadcast: 'a broadcast',
  multicast: 'a multicast',
  linkLocal: 'a link-local',
  loopback: 'a loopback',
  carrierGradeNat: 'a carrier-grade NAT (100.64.0.0/10)',
  private: 'a private (RFC 1918)',
  reserved: 'a reserved',
  uniqueLocal: 'a unique local (fc00::/7)',
  teredo: 'a Teredo',
  rfc6145: 'an IPv4-translated',
  benchmarking: 'a benchmarking',
  as112: 'an AS112',
  amt: 'an AMT',
  deprecated: 'a deprecated',
  orchid2: 'an ORCHIDv2',
  discard: 'a discard-only',
};

/** The IPv4 address an IPv6 address carries (mapped, compatible, NAT64, 6to4), if any. */
function embeddedIPv4(address: ipaddr.IPv6): ipaddr.IPv4 | null {
  const range = address.range();
  const bytes = address.toByteArray();
  if (range === 'ipv4Mapped') return address.toIPv4Address();
  if (range === 'rfc6052') return ipaddr.fromByteArray(bytes.slice(12)) as ipaddr.IPv4;
  if (range === '6to4') return ipaddr.fromByteArray(bytes.slice(2, 6)) as ipaddr.IPv4;
  // IPv4-compatible (::a.b.c.d, deprecated but still routed by some stacks); :: and ::1 are judged as themselves.
  if (bytes.slice(0, 12).every((b) => b === 0) && range !== 'unspecified' && range !== 'loopback') return ipaddr.fromByteArray(bytes.slice(12)) as ipaddr.IPv4;
  return null;
}

function allowed(address: Address, policy: OutboundPolicy): boolean {
  return policy.allow.some(([range, bits]) => address.kind() === range.kind() && address.match(range, bits));
}

/**
 * Why an address may not be reached under the policy, or null when it may.
 *
 * @example
 * addressProblem('169.254.169.254', outboundPolicy()); // '169.254.169.254 is a link-local address'
 * addressProblem('127.0.0.1', outboundPolicy(['127.0.0.1/32'])); // null
 */
export function addressProblem(text: string, policy: OutboundPolicy): string | null {
  const literal = text.replace(/^\[(.*)\]$/, '$1');
  if (!ipaddr.isValid(literal)) return `${text} is not an IP address`;
  const address = ipaddr.parse(literal);
  if (allowed(address, policy)) return null;
  const judged = address.kind() === 'ipv6' ? (embeddedIPv4(address as ipaddr.IPv6) ?? address) : address;
  if (judged !== address && allowed(judged, policy)) return null;
  const range = judged.range();
  if (range === 'unicast') return null;
  const via = judged === address ? '' : ` (it carries ${judged.toString()})`;
  return `${literal} is ${RANGE_NAMES[range] ?? `a ${range}`} address${via}; outbound requests may not reach it unless OUTBOUND_ALLOW_CIDRS opens it`;
}

/**
 * Node's URL parser already turns `2130706433`, `0x7f.1` and `127.1` into
 * 127.0.0.1; this answers the problem with a URL whose host is an IP literal,
 * so the channel API can refuse it at save time. Host names are judged at send
 * time, after DNS.
 */
export function literalAddressProblem(url: string, policy: OutboundPolicy): string | null {
  let hostname: string;
  try {
    hostname = new URL(url).hostname;
  } catch {
    return null;
  }
  const bare = hostname.replace(/^\[(.*)\]$/, '$1');
  return isIP(bare) ? addressProblem(bare, policy) : null;
}

/** Resolves a host (or takes an IP literal as it is) and answers the first address if every one may be reached. */
export async function checkedAddress(hostname: string, policy: OutboundPolicy): Promise<string> {
  const bare = hostname.replace(/^\[(.*)\]$/, '$1');
  const addresses = isIP(bare) ? [bare] : await policy.lookup(bare);
  if (addresses.length === 0) throw Object.assign(new Error('no address'), { code: 'ENOTFOUND' });
  for (const address of addresses) {
    const problem = addressProblem(address, policy);
    if (problem) throw new ForbiddenAddressError(isIP(bare) ? problem : `${bare} resolves to ${problem}`);
  }
  return addresses[0]!;
}

/**
 * An undici connector that checks the destination on every new connection and
 * connects to the checked address (TLS still verifies and sends SNI for the
 * host name).
 */
export function guardedConnector(policy: OutboundPolicy, options: buildConnector.BuildOptions = {}): buildConnector.connector {
  const connect = buildConnector(options);
  return function connectChecked(target, callback) {
    checkedAddress(target.hostname, policy).then(
      (address) => connect({ ...target, hostname: address }, callback),
      (error: Error) => callback(error, null),
    );
  };
}
