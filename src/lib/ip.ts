import { isIP } from 'node:net';

/**
 * IP addresses and CIDR ranges as bytes, so one address has one spelling: an IPv4-mapped
 * IPv6 address (`::ffff:1.2.3.4`, as a dual-stack socket reports IPv4 peers) is IPv4, and
 * IPv6 is written in RFC 5952 form. Pure; used by client-IP resolution, rate-limit keys
 * and API-key allowlists.
 */
export interface ParsedIp {
  family: 4 | 6;
  /** 4 or 16 bytes, network order. */
  bytes: Uint8Array;
}

export interface Cidr extends ParsedIp {
  /** Prefix length in bits: 0–32 for IPv4, 0–128 for IPv6. */
  prefix: number;
}

function parseIpv4(s: string): Uint8Array {
  return Uint8Array.from(s.split('.').map(Number));
}

function parseIpv6(s: string): Uint8Array {
  const bytes = new Uint8Array(16);
  let text = s;
  // A trailing dotted quad fills the last 32 bits.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  let v4: Uint8Array | undefined;
  if (tail.includes('.')) {
    v4 = parseIpv4(tail);
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const [head = '', rest] = text.split('::');
  const groupsOf = (part: string) => (part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16)));
  const left = groupsOf(head);
  const right = rest === undefined ? [] : groupsOf(rest);
  const groups = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  groups.forEach((g, i) => {
    bytes[i * 2] = g >> 8;
    bytes[i * 2 + 1] = g & 0xff;
  });
  if (v4) bytes.set(v4, 12);
  return bytes;
}

function isV4Mapped(bytes: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

/**
 * Parses an address; null when it is not one. Accepts surrounding whitespace, IPv6 in
 * brackets and a zone id (`fe80::1%eth0`, dropped). IPv4-mapped IPv6 becomes IPv4.
 */
export function parseIp(input: string): ParsedIp | null {
  let s = input.trim();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const zone = s.indexOf('%');
  if (zone !== -1) s = s.slice(0, zone);
  const family = isIP(s);
  if (family === 4) return { family: 4, bytes: parseIpv4(s) };
  if (family !== 6) return null;
  const bytes = parseIpv6(s);
  return isV4Mapped(bytes) ? { family: 4, bytes: bytes.slice(12) } : { family: 6, bytes };
}

/** The canonical text of a parsed address (dotted quad, or RFC 5952 IPv6). */
export function formatIp(ip: ParsedIp): string {
  if (ip.family === 4) return Array.from(ip.bytes).join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((ip.bytes[i] as number) << 8) | (ip.bytes[i + 1] as number));
  // The longest run of two or more zero groups (the first on a tie) becomes '::'.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(':');
  if (bestStart === -1) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}

/** Canonical text of an address, or null when it does not parse. */
export function normalizeIp(input: string): string | null {
  const ip = parseIp(input);
  return ip ? formatIp(ip) : null;
}

/**
 * A forwarded-header entry: an address, optionally with a port (`1.2.3.4:80`,
 * `[2001:db8::1]:443`), as some proxies write them. Null when malformed.
 */
export function parseForwardedAddress(input: string): ParsedIp | null {
  const s = input.trim();
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(s);
  if (bracketed) return parseIp(bracketed[1] as string);
  const v4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(s);
  if (v4WithPort) return parseIp(v4WithPort[1] as string);
  return parseIp(s);
}

function maskBytes(bytes: Uint8Array, prefix: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const bits = Math.max(0, Math.min(8, prefix - i * 8));
    out[i] = (bytes[i] as number) & ((0xff << (8 - bits)) & 0xff);
  }
  return out;
}

/** Named ranges accepted wherever a CIDR list is (e.g. `TRUSTED_PROXIES=loopback,private`). */
const NAMED_RANGES: Record<string, readonly string[]> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  private: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
};

/**
 * Parses `addr` or `addr/prefix`; null when either part is malformed. Host bits are
 * cleared (`10.1.2.3/8` is `10.0.0.0/8`); an IPv4-mapped IPv6 range becomes IPv4.
 */
export function parseCidr(input: string): Cidr | null {
  const s = input.trim();
  const slash = s.indexOf('/');
  const addressText = slash === -1 ? s : s.slice(0, slash);
  // Decide the family before mapping, so `::ffff:0:0/96` keeps its IPv6 prefix arithmetic.
  const rawFamily = isIP(addressText.replace(/%.*$/, ''));
  const ip = parseIp(addressText);
  if (!ip || rawFamily === 0) return null;
  const rawBits = rawFamily === 4 ? 32 : 128;
  let prefix = rawBits;
  if (slash !== -1) {
    const p = s.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p)) return null;
    prefix = Number(p);
    if (prefix > rawBits) return null;
  }
  if (rawFamily === 6 && ip.family === 4) {
    // A mapped range: its low 32 bits are the IPv4 range.
    if (prefix < 96) return null;
    prefix -= 96;
  }
  return { family: ip.family, bytes: maskBytes(ip.bytes, prefix), prefix };
}

export function formatCidr(cidr: Cidr): string {
  return `${formatIp(cidr)}/${cidr.prefix}`;
}

export class IpListError extends Error {
  constructor(readonly entry: string) {
    super(`not an IP address, CIDR range or one of ${Object.keys(NAMED_RANGES).join(', ')}: "${entry}"`);
    this.name = 'IpListError';
  }
}

/**
 * A comma- (or whitespace-) separated list of addresses, CIDRs and named ranges. Throws
 * IpListError naming the first bad entry, so configuration fails with the culprit.
 */
export function parseCidrList(input: string | readonly string[]): Cidr[] {
  const entries = typeof input === 'string' ? input.split(/[\s,]+/) : input;
  const out: Cidr[] = [];
  for (const raw of entries) {
    const entry = raw.trim();
    if (entry === '') continue;
    const named = NAMED_RANGES[entry.toLowerCase()];
    if (named) {
      out.push(...named.map((n) => parseCidr(n) as Cidr));
      continue;
    }
    const cidr = parseCidr(entry);
    if (!cidr) throw new IpListError(entry);
    out.push(cidr);
  }
  return out;
}

export function cidrContains(cidr: Cidr, ip: ParsedIp): boolean {
  if (cidr.family !== ip.family) return false;
  const full = Math.floor(cidr.prefix / 8);
  for (let i = 0; i < full; i++) if (cidr.bytes[i] !== ip.bytes[i]) return false;
  const bits = cidr.prefix % 8;
  if (bits === 0) return true;
  const mask = (0xff << (8 - bits)) & 0xff;
  return ((ip.bytes[full] as number) & mask) === cidr.bytes[full];
}

/** A membership test over a CIDR list (small lists: a linear scan is fastest). */
export function ipMatcher(cidrs: readonly Cidr[]): (ip: ParsedIp) => boolean {
  if (cidrs.length === 0) return () => false;
  return (ip) => cidrs.some((c) => cidrContains(c, ip));
}

/**
 * The address a per-IP limit counts against. IPv6 hosts usually get a whole /64 (or more),
 * so counting single IPv6 addresses would let one client rotate through billions of keys;
 * `ipv6Prefix` groups them (128 counts each address).
 */
export function ipBucket(ip: ParsedIp, ipv6Prefix: number): string {
  if (ip.family === 4 || ipv6Prefix >= 128) return formatIp(ip);
  return `${formatIp({ family: 6, bytes: maskBytes(ip.bytes, ipv6Prefix) })}/${ipv6Prefix}`;
}
