// Where plays may send. A webhook goes to a public http(s) address; Retain's own network (loopback,
// private and unique-local ranges, link-local, carrier-grade NAT, multicast, reserved ranges and the
// cloud metadata endpoints) is out of reach unless an admin allowlisted a host or range. These rules
// read text and addresses; resolving names is the sender's job, and it checks every address it gets.
import ipaddr from 'ipaddr.js';

type Ip = ipaddr.IPv4 | ipaddr.IPv6;

/** An allowlist line: a host name (exact) or an address range (a single address is a /32 or /128). */
export type AllowlistEntry = { kind: 'host'; name: string } | { kind: 'range'; range: [Ip, number] };

/** Why a destination is refused: `scheme`, `invalid_url`, `metadata`, or the range an address is in. */
export type DestinationCheck =
  | { allowed: true; url: URL; hostname: string; literal: Ip | null; hostAllowlisted: boolean }
  | { allowed: false; reason: string };

// Instance credentials live here (AWS, ECS, EKS, GCP, Azure, Alibaba, Oracle); no allowlist opens them.
const METADATA_ADDRESSES = new Set(
  [
    '169.254.169.254',
    '169.254.170.2',
    '169.254.170.23',
    '100.100.100.200',
    '192.0.0.192',
    'fd00:ec2::254',
    'fd00:ec2::23',
    'fd20:ce::254',
  ].map((address) => ipaddr.parse(address).toNormalizedString()),
);
const METADATA_NAMES = new Set(['metadata', 'metadata.google.internal', 'instance-data']);
// IPv4-compatible IPv6 (deprecated) carries an IPv4 address the library files under plain unicast.
const IPV4_COMPATIBLE = ipaddr.parseCIDR('::/96');
const HOST_LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

function parseIp(text: string): Ip | null {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text);
  if (ipaddr.IPv6.isValid(text)) return ipaddr.IPv6.parse(text);
  return null;
}

/** Reads one allowlist line; null when it is neither a host name, an IP address nor a CIDR range. */
export function parseAllowlistEntry(text: string): AllowlistEntry | null {
  const value = text.trim().toLowerCase();
  const slash = value.indexOf('/');
  if (slash >= 0) {
    const ip = parseIp(value.slice(0, slash));
    const bits = value.slice(slash + 1);
    const max = ip?.kind() === 'ipv4' ? 32 : 128;
    if (!ip || !/^\d{1,3}$/.test(bits) || Number(bits) > max) return null;
    return { kind: 'range', range: [ip, Number(bits)] };
  }
  const ip = parseIp(value);
  if (ip) return { kind: 'range', range: [ip, ip.kind() === 'ipv4' ? 32 : 128] };
  const name = value.replace(/\.$/, '');
  const labels = name.split('.');
  if (name.length === 0 || name.length > 253 || !labels.every((label) => HOST_LABEL.test(label))) return null;
  // A name ending in a number is an IPv4 address in another spelling (`127.1`, `0x7f.1`).
  if (/^(?:\d+|0x[0-9a-f]*)$/.test(labels.at(-1) ?? '')) return null;
  return { kind: 'host', name };
}

/** Whether a line is a valid allowlist entry. */
export function isAllowlistEntry(text: string): boolean {
  return parseAllowlistEntry(text) !== null;
}

/** The destination rules with an admin's allowlist applied. */
export class OutboundPolicy {
  private readonly hosts: Set<string>;
  private readonly ranges: [Ip, number][];

  constructor(allowlist: readonly string[]) {
    const entries = allowlist.flatMap((line) => parseAllowlistEntry(line) ?? []);
    this.hosts = new Set(entries.flatMap((entry) => (entry.kind === 'host' ? [entry.name] : [])));
    this.ranges = entries.flatMap((entry) => (entry.kind === 'range' ? [entry.range] : []));
  }

  /** Checks a URL as written: its scheme and, when the host is an address or a local name, the host. */
  checkUrl(text: string): DestinationCheck {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return { allowed: false, reason: 'invalid_url' };
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return { allowed: false, reason: 'scheme' };
    // The URL parser has already turned `2130706433`, `0x7f.1` and `017700000001` into `127.0.0.1`.
    const hostname = url.hostname.toLowerCase().replace(/\.$/, '');
    const literal = parseIp(hostname.startsWith('[') ? hostname.slice(1, -1) : hostname);
    if (literal) {
      const reason = this.addressRefusal(literal.toString(), false);
      return reason === null
        ? { allowed: true, url, hostname, literal, hostAllowlisted: false }
        : { allowed: false, reason };
    }
    if (METADATA_NAMES.has(hostname)) return { allowed: false, reason: 'metadata' };
    const hostAllowlisted = this.hosts.has(hostname);
    if (!hostAllowlisted && (hostname === 'localhost' || hostname.endsWith('.localhost')))
      return { allowed: false, reason: 'loopback' };
    return { allowed: true, url, hostname, literal: null, hostAllowlisted };
  }

  /**
   * Why a resolved address may not be reached, or null when it may. An allowlisted host name opens
   * whatever it resolves to, an allowlisted range the addresses in it; metadata endpoints never.
   */
  addressRefusal(address: string, hostAllowlisted: boolean): string | null {
    const ip = parseIp(address.replace(/%.*$/, ''));
    if (!ip) return 'invalid_address';
    const mapped = ip instanceof ipaddr.IPv6 && ip.isIPv4MappedAddress();
    const forms: Ip[] = ip instanceof ipaddr.IPv6 && mapped ? [ip, ip.toIPv4Address()] : [ip];
    if (forms.some((form) => METADATA_ADDRESSES.has(form.toNormalizedString()))) return 'metadata';
    if (hostAllowlisted || forms.some((form) => this.inRanges(form))) return null;
    if (mapped) return 'ipv4Mapped';
    const range = ip.range();
    if (range !== 'unicast') return range;
    if (ip instanceof ipaddr.IPv6 && ip.match(IPV4_COMPATIBLE)) return 'ipv4Compatible';
    return null;
  }

  private inRanges(ip: Ip): boolean {
    return this.ranges.some(([base, bits]) => base.kind() === ip.kind() && ip.match(base, bits));
  }
}
