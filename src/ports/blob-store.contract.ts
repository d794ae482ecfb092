import { readdirSync } from 'node:fs';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobTooLargeError, type BlobStore } from './blob-store.ts';

/** The BlobStore contract; `leftovers` lists whatever the backend holds (to prove nothing is left). */
export function runBlobStoreContract(name: string, open: () => Promise<{ store: BlobStore; leftovers(): string[]; cleanup(): Promise<void> }>): void {
  describe(`BlobStore contract: ${name}`, () => {
    let s: Awaited<ReturnType<typeof open>>;
    beforeAll(async () => {
      s = await open();
    });
    afterAll(() => s.cleanup());

    it('stores a stream, reports size, sha256 and head; reads it whole and by range; deletes', async () => {
      const blob = await s.store.put(Readable.from([Buffer.from('hello '), Buffer.from('world')]), { maxBytes: 100 });
      expect(blob).toMatchObject({ size: 11, sha256: 'b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9' });
      expect(blob.head.toString()).toBe('hello world');
      expect(await text(await s.store.open(blob.key))).toBe('hello world');
      expect(await text(await s.store.open(blob.key, { start: 6, end: 10 }))).toBe('world');
      await s.store.delete(blob.key);
      await s.store.delete(blob.key);
      expect(await s.store.exists(blob.key)).toBe(false);
      await expect(s.store.open(blob.key)).rejects.toThrow();
    });

    it('refuses past maxBytes, stopping the source, and leaves nothing', async () => {
      const before = s.leftovers().length;
      let pulled = 0;
      const endless = new Readable({
        read() {
          pulled += 1;
          this.push(Buffer.alloc(1024, 1));
        },
      });
      await expect(s.store.put(endless, { maxBytes: 10 * 1024 })).rejects.toBeInstanceOf(BlobTooLargeError);
      expect(pulled).toBeLessThan(50);
      expect(s.leftovers().length).toBe(before);
    });

    it('a source that fails part-way leaves nothing', async () => {
      const before = s.leftovers().length;
      const failing = new Readable({ read() {} });
      failing.push(Buffer.alloc(2048));
      setTimeout(() => failing.destroy(new Error('connection reset')), 10);
      await expect(s.store.put(failing, { maxBytes: 1_000_000 })).rejects.toThrow(/connection reset/);
      expect(s.leftovers().length).toBe(before);
    });
  });
}

export function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => d.name);
}
