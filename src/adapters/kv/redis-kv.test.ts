import { createServer, connect as tcpConnect } from 'node:net';
import type { Server, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { runId, serviceUrl } from '../../../test/helpers/backends.ts';
import { runKvContract } from '../../ports/kv.contract.ts';
import { RedisKvStore } from './redis-kv.ts';

const url = serviceUrl('REDIS_URL');
// One prefix per run, so parallel runs and other suites on the same server never collide.
const prefix = `${runId('basalt_kv')}:`;

function redisUrl(): string {
  if (!url) throw new Error('REDIS_URL is not set');
  return url;
}

/**
 * A TCP relay in front of the real Redis, to cut or stall the connection the way a network
 * or a server failure would.
 */
class FaultyLink {
  private frozen = false;
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;
  port = 0;

  constructor(private readonly target: URL) {}

  async listen(port = 0): Promise<void> {
    const server = createServer((client) => {
      const upstream = tcpConnect(Number(this.target.port || 6379), this.target.hostname);
      for (const [from, to] of [
        [client, upstream],
        [upstream, client],
      ] as const) {
        this.sockets.add(from);
        from.on('data', (chunk: Buffer) => {
          if (!this.frozen) to.write(chunk);
        });
        from.on('error', () => to.destroy());
        from.on('close', () => {
          this.sockets.delete(from);
          to.destroy();
        });
      }
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('relay has no port');
    this.port = address.port;
    this.server = server;
  }

  url(): string {
    const via = new URL(this.target.href);
    via.hostname = '127.0.0.1';
    via.port = String(this.port);
    return via.href;
  }

  /** Bytes stop flowing both ways, but every socket stays open: a stalled server. */
  freeze(): void {
    this.frozen = true;
  }

  /** Closes every connection and stops listening: the server is gone. */
  async cut(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }
}

describe('RedisKvStore without a server', () => {
  it('fails connect within a few seconds when nothing listens', async () => {
    const started = Date.now();
    await expect(RedisKvStore.connect({ url: 'redis://127.0.0.1:1', prefix })).rejects.toThrow(/ECONNREFUSED/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('stops reconnecting once connect has failed', async () => {
    let attempts = 0;
    const server = createServer((socket) => {
      attempts++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    try {
      if (address === null || typeof address === 'string') throw new Error('server has no port');
      await expect(RedisKvStore.connect({ url: `redis://127.0.0.1:${address.port}`, prefix })).rejects.toThrow();
      const afterFailure = attempts;
      // ioredis retries after 50 ms, then 100 ms...: a client left behind would be back by now.
      await sleep(400);
      expect(attempts).toBe(afterFailure);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe.skipIf(!url)('RedisKvStore', () => {
  afterAll(async () => {
    const admin = new Redis(redisUrl());
    try {
      let cursor = '0';
      do {
        const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
        if (keys.length > 0) await admin.del(...keys);
        cursor = next;
      } while (cursor !== '0');
    } finally {
      await admin.quit();
    }
  });

  runKvContract('redis', async () => {
    const store = await RedisKvStore.connect({ url: redisUrl(), prefix });
    return { store, cleanup: () => store.close() };
  });

  it('stores every key under its prefix', async () => {
    const store = await RedisKvStore.connect({ url: redisUrl(), prefix });
    const admin = new Redis(redisUrl());
    try {
      await store.increment('prefixed-counter', 1, 10_000);
      await store.listPush('prefixed-list', ['a'], { maxLength: 3 });
      expect(await admin.get(`${prefix}prefixed-counter`)).toBe('1');
      expect(await admin.lrange(`${prefix}prefixed-list`, 0, -1)).toEqual(['a']);
      expect(await admin.exists('prefixed-counter', 'prefixed-list')).toBe(0);
    } finally {
      await store.close();
      await admin.quit();
    }
  });

  it('rejects commands after close instead of hanging', async () => {
    const store = await RedisKvStore.connect({ url: redisUrl(), prefix });
    await store.set('closed', 'v');
    await store.close();
    await expect(store.get('closed')).rejects.toThrow();
    await expect(store.set('closed', 'w')).rejects.toThrow();
    await expect(store.increment('closed-counter')).rejects.toThrow();
    await expect(store.ping()).rejects.toThrow();
  });

  it('times a command out when the server stops answering', async () => {
    const link = new FaultyLink(new URL(redisUrl()));
    await link.listen();
    const store = await RedisKvStore.connect({ url: link.url(), prefix, commandTimeoutMs: 300 });
    try {
      await store.set('stall', 'v');
      link.freeze();
      const started = Date.now();
      await expect(store.get('stall')).rejects.toThrow(/timed out/i);
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      await store.close();
      await link.cut();
    }
  });

  it('rejects commands while the connection is down and recovers when it returns', async () => {
    const link = new FaultyLink(new URL(redisUrl()));
    await link.listen();
    const store = await RedisKvStore.connect({ url: link.url(), prefix });
    try {
      await store.set('outage', 'before');
      await link.cut();
      const started = Date.now();
      await expect(store.get('outage')).rejects.toThrow();
      await expect(store.ping()).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(2_000);

      await link.listen(link.port);
      const deadline = Date.now() + 5_000;
      let value: string | null | undefined;
      while (value === undefined && Date.now() < deadline) {
        value = await store.get('outage').catch(() => undefined);
        if (value === undefined) await sleep(50);
      }
      expect(value).toBe('before');
    } finally {
      await store.close();
      await link.cut();
    }
  });
});
