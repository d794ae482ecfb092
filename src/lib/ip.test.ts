import { describe, expect, it } from 'vitest';
import { formatCidr, ipBucket, ipMatcher, normalizeIp, parseCidr, parseCidrList, parseForwardedAddress, parseIp } from './ip.ts';

describe('normalizeIp', () => {
  it.each([
    ['1.2.3.4', '1.2.3.4'],
    [' 10.0.0.1 ', '10.0.0.1'],
    ['::1', '::1'],
    ['[::1]', '::1'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:0db8:0000:0000:0000:ff00:0042:8329', '2001:db8::ff00:42:8329'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2:3:4:5:6'],
    ['2001:db8::1:0:0:0', '2001:db8:0:0:1::'],
    ['::', '::'],
    ['::ffff:1.2.3.4', '1.2.3.4'],
    ['::FFFF:7f00:1', '127.0.0.1'],
    ['fe80::1%eth0', 'fe80::1'],
    ['::2:3:4:5:6:7:8', '0:2:3:4:5:6:7:8'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeIp(input)).toBe(expected);
  });

  it.each(['', 'localhost', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.4/32', '2001:db8:::1', ':::', '1.2.3.4:80', 'gggg::1', '::ffff:1.2.3.256'])(
    'refuses %j',
    (input) => {
      expect(normalizeIp(input)).toBeNull();
    },
  );
});

describe('parseForwardedAddress', () => {
  it('accepts a port after IPv4 or bracketed IPv6, as some proxies write', () => {
    expect(parseForwardedAddress('203.0.113.9:4711')).toEqual(parseIp('203.0.113.9'));
    expect(parseForwardedAddress('[2001:db8::7]:443')).toEqual(parseIp('2001:db8::7'));
    expect(parseForwardedAddress('[2001:db8::7]')).toEqual(parseIp('2001:db8::7'));
    expect(parseForwardedAddress('2001:db8::7')).toEqual(parseIp('2001:db8::7'));
  });
  it('refuses anything else', () => {
    for (const bad of ['unknown', '_hidden', '1.2.3.4:', '1.2.3.4:123456', '[1.2.3.4', '[::1]:x', 'example.com:80']) {
      expect(parseForwardedAddress(bad)).toBeNull();
    }
  });
});

describe('CIDR', () => {
  it('parses ranges and clears host bits', () => {
    expect(formatCidr(parseCidr('10.1.2.3/8')!)).toBe('10.0.0.0/8');
    expect(formatCidr(parseCidr('192.168.1.7')!)).toBe('192.168.1.7/32');
    expect(formatCidr(parseCidr('2001:db8:abcd::1/32')!)).toBe('2001:db8::/32');
    expect(formatCidr(parseCidr('::1')!)).toBe('::1/128');
    expect(formatCidr(parseCidr('::ffff:10.0.0.0/104')!)).toBe('10.0.0.0/8');
    expect(formatCidr(parseCidr('0.0.0.0/0')!)).toBe('0.0.0.0/0');
  });

  it('refuses malformed ranges', () => {
    for (const bad of ['10.0.0.0/33', '10.0.0.0/', '10.0.0.0/-1', '10.0.0.0/8/8', '::/129', 'x/8', '::ffff:10.0.0.0/64', '10.0.0.0/ 8']) {
      expect(parseCidr(bad)).toBeNull();
    }
  });

  it('matches IPv4, IPv6 and IPv4-mapped addresses against a list', () => {
    const inList = ipMatcher(parseCidrList('10.0.0.0/8, 192.168.1.1 ,2001:db8::/32 172.16.0.0/12'));
    const check = (s: string) => inList(parseIp(s)!);
    expect(check('10.255.1.2')).toBe(true);
    expect(check('::ffff:10.9.9.9')).toBe(true);
    expect(check('11.0.0.1')).toBe(false);
    expect(check('192.168.1.1')).toBe(true);
    expect(check('192.168.1.2')).toBe(false);
    expect(check('172.31.255.255')).toBe(true);
    expect(check('172.32.0.0')).toBe(false);
    expect(check('2001:db8:ffff::1')).toBe(true);
    expect(check('2001:db9::1')).toBe(false);
  });

  it('knows the named ranges loopback, private and linklocal', () => {
    const inList = ipMatcher(parseCidrList('loopback,private,linklocal'));
    for (const ip of ['127.0.0.1', '127.9.9.9', '::1', '10.1.1.1', '192.168.0.5', 'fd12::1', '169.254.1.1', 'fe80::abcd']) expect(inList(parseIp(ip)!)).toBe(true);
    for (const ip of ['8.8.8.8', '2001:4860::8888', '::2']) expect(inList(parseIp(ip)!)).toBe(false);
  });

  it('names the bad entry of a list', () => {
    expect(() => parseCidrList('10.0.0.0/8,10.0.0.300')).toThrow(/"10\.0\.0\.300"/);
    expect(parseCidrList('  ')).toEqual([]);
  });
});

describe('ipBucket', () => {
  it('counts IPv4 by address and IPv6 by network prefix', () => {
    expect(ipBucket(parseIp('203.0.113.9')!, 64)).toBe('203.0.113.9');
    expect(ipBucket(parseIp('2001:db8:1:2:aaaa::1')!, 64)).toBe('2001:db8:1:2::/64');
    expect(ipBucket(parseIp('2001:db8:1:2:bbbb::9')!, 64)).toBe('2001:db8:1:2::/64');
    expect(ipBucket(parseIp('2001:db8:1:2:bbbb::9')!, 56)).toBe('2001:db8:1::/56');
    expect(ipBucket(parseIp('2001:db8:1:2:bbbb::9')!, 128)).toBe('2001:db8:1:2:bbbb::9');
  });
});
