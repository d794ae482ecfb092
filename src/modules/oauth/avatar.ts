import { lookup } from 'node:dns/promises';
import { AppError } from '../../errors/index.ts';
import { ipMatcher, parseCidrList, parseIp } from '../../lib/ip.ts';

/** Addresses no public avatar lives at: loopback, private, link-local, CGNAT, multicast, reserved. */
const NOT_PUBLIC = ipMatcher(
  parseCidrList('loopback,private,linklocal,0.0.0.0/8,100.64.0.0/10,192.0.0.0/24,192.0.2.0/24,198.18.0.0/15,198.51.100.0/24,203.0.113.0/24,224.0.0.0/4,240.0.0.0/4,::/128,64:ff9b::/96,100::/64,2001:db8::/32,ff00::/8'),
);

export type Resolve = (host: string) => Promise<string[]>;

const systemResolve: Resolve = async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

function invalid(issue: string): AppError {
  return new AppError('oauth:invalid_image_url', { details: [{ field: 'avatarUrl', issue }] });
}

/**
 * A provider's avatar URL is stored and later rendered by every client that shows the
 * profile, so it must be https and point at a public address: a plain-http URL is mixed
 * content, and a private one would have viewers' browsers probe their own networks. A name
 * that does not resolve is refused too (it cannot be shown to be public).
 */
export async function assertPublicImageUrl(raw: string, resolve: Resolve = systemResolve): Promise<string> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid('not a URL');
  }
  if (raw.length > 2048) throw invalid('longer than 2048 characters');
  if (url.protocol !== 'https:') throw invalid('not https');
  if (url.username || url.password) throw invalid('carries credentials');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const literal = parseIp(host);
  let addresses: string[];
  if (literal) addresses = [host];
  else {
    try {
      addresses = await resolve(host);
    } catch {
      throw invalid('host does not resolve');
    }
  }
  if (addresses.length === 0) throw invalid('host does not resolve');
  for (const a of addresses) {
    const ip = parseIp(a);
    if (!ip || NOT_PUBLIC(ip)) throw invalid('resolves to a private or reserved address');
  }
  return url.href;
}
