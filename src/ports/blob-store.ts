import type { Readable } from 'node:stream';

/**
 * Where file bytes live. Embedded: a folder under DATA_DIR; S3-compatible later. Keys are
 * chosen by the store, never by a client.
 *
 * Rules every adapter guarantees:
 * - `put` streams: memory use does not grow with the blob's size. It resolves only once the
 *   whole blob is durable; when the source fails, or passes `maxBytes`, it rejects
 *   (BlobTooLargeError for the limit, stopping at once) and leaves nothing behind.
 * - `put` consumes the chunks it reads: a chunk may be moved to another thread (it then reads
 *   as empty), so a caller must not read a chunk after handing it to the source. Request
 *   bodies never are.
 * - A blob is visible to `open` only after `put` resolved (no partial reads).
 * - `delete` is idempotent; concurrent `put`s never share a key.
 */
export interface BlobStore {
  put(source: Readable, options: { maxBytes: number }): Promise<StoredBlob>;
  /** The bytes, or `start..end` inclusive of both; rejects for an unknown key. */
  open(key: string, range?: { start: number; end: number }): Promise<Readable>;
  delete(key: string): Promise<void>;
  exists(key: string): Promise<boolean>;
}

export interface StoredBlob {
  key: string;
  size: number;
  /** Hex SHA-256 of the bytes. */
  sha256: string;
  /** The first bytes (up to 64 KiB), for content sniffing and image dimensions. */
  head: Buffer;
}

export class BlobTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`blob exceeds ${maxBytes} bytes`);
    this.name = 'BlobTooLargeError';
  }
}
