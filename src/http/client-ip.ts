import type { Socket } from 'node:net';
import type { HttpBindings } from '@hono/node-server';
import type { Context, MiddlewareHandler } from 'hono';
import { AppError } from '../errors/index.ts';
import { formatIp, ipMatcher, parseForwardedAddress, parseIp, type Cidr, type ParsedIp } from '../lib/ip.ts';
import type { AppEnv } from './env.ts';
import { requestHeader } from './node-request.ts';

/**
 * The peer address used when the app is called in-process (`app.fetch` in tests, no socket
 * at all). Loopback, so it is trusted exactly when loopback is in TRUSTED_PROXIES.
 */
export const IN_PROCESS_PEER = '127.0.0.1';

export interface ForwardedHeaders {
  forwardedFor?: string | undefined;
  realIp?: string | undefined;
}

function invalid(header: string, entry: string): AppError {
  return new AppError('general:invalid_ip_address', { details: [{ field: header, issue: `not an IP address: "${entry.slice(0, 64)}"` }] });
}

/**
 * The client's address. Forwarded headers count only when the peer is a trusted proxy:
 * X-Forwarded-For is read right to left, skipping trusted proxies, and the first untrusted
 * hop is the client (entries further left were written by the client and cannot be
 * believed). If every hop is trusted, the left-most is the client. Without
 * X-Forwarded-For, X-Real-IP is used. A hop that has to be read and does not parse throws
 * `general:invalid_ip_address`; garbage left of the client is ignored.
 */
export function resolveClientIp(peer: ParsedIp, headers: ForwardedHeaders, isTrusted: (ip: ParsedIp) => boolean): ParsedIp {
  if (!isTrusted(peer)) return peer;
  const forwardedFor = headers.forwardedFor?.trim();
  if (forwardedFor) {
    const hops = forwardedFor.split(',');
    let last: ParsedIp = peer;
    for (let i = hops.length - 1; i >= 0; i--) {
      const entry = (hops[i] as string).trim();
      const ip = parseForwardedAddress(entry);
      if (!ip) throw invalid('X-Forwarded-For', entry);
      if (!isTrusted(ip)) return ip;
      last = ip;
    }
    return last;
  }
  const realIp = headers.realIp?.trim();
  if (realIp) {
    const ip = parseForwardedAddress(realIp);
    if (!ip) throw invalid('X-Real-IP', realIp);
    return ip;
  }
  return peer;
}

/** The socket's remote address; undefined when there is no socket (in-process call). */
function socketOf(env: unknown): Socket | undefined {
  return (env as Partial<HttpBindings> | undefined)?.incoming?.socket;
}

interface PeerEntry {
  peer: ParsedIp;
  /** formatIp(peer), for requests whose client is the peer itself. */
  text: string;
}

/** A synchronous step that sets `c.var.clientIp` (canonical text: IPv4-mapped IPv6 becomes IPv4). */
export type ClientIpStep = (c: Context<AppEnv>) => void;

/**
 * The client address as a plain function, not a middleware: create-app runs it inside the
 * request context, since every layer of Hono's chain costs an await on every request.
 */
export function clientIpStep(options: { trustedProxies: readonly Cidr[] }): ClientIpStep {
  const isTrusted = ipMatcher(options.trustedProxies);
  const inProcessPeer = parseIp(IN_PROCESS_PEER) as ParsedIp;
  const inProcess: PeerEntry = { peer: inProcessPeer, text: formatIp(inProcessPeer) };
  const trustsSomeone = options.trustedProxies.length > 0;
  // A socket's peer never changes, and keep-alive clients send many requests on one: parse
  // and format it once per connection. Weak, so a closed socket takes its entry with it.
  const peers = new WeakMap<Socket, PeerEntry>();
  const peerOf = (socket: Socket | undefined): PeerEntry => {
    if (!socket) return inProcess;
    let entry = peers.get(socket);
    if (entry === undefined) {
      const address = socket.remoteAddress;
      // A socket without an address has already closed: the client is gone.
      const peer = address === undefined ? null : parseIp(address);
      if (!peer) throw invalid('socket', address ?? '(none)');
      entry = { peer, text: formatIp(peer) };
      peers.set(socket, entry);
    }
    return entry;
  };
  return (c) => {
    const entry = peerOf(socketOf(c.env));
    const ip = trustsSomeone ? resolveClientIp(entry.peer, { forwardedFor: requestHeader(c, 'x-forwarded-for'), realIp: requestHeader(c, 'x-real-ip') }, isTrusted) : entry.peer;
    c.set('clientIp', ip === entry.peer ? entry.text : formatIp(ip));
  };
}

/** `clientIpStep` as a middleware of its own (apps without Basalt's request context). */
export function clientIp(options: { trustedProxies: readonly Cidr[] }): MiddlewareHandler<AppEnv> {
  const step = clientIpStep(options);
  return (c, next) => {
    step(c);
    return next();
  };
}
