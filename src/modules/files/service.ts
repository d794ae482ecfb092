import type { Readable } from 'node:stream';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { withTransaction } from '../../db/transaction.ts';
import { AppError } from '../../errors/index.ts';
import { newId } from '../../lib/crypto.ts';
import type { Logger } from '../../lib/logger.ts';
import { BlobTooLargeError, type BlobStore, type StoredBlob } from '../../ports/blob-store.ts';
import type { TransactionalEventPublisher } from '../../ports/events.ts';
import { readMultipartFile } from './multipart.ts';
import { contentDisposition, isInlineSafe, presentFile, sanitizeFilename, type FileMeta } from './present.ts';
import { attachedToVisiblePost, type FileRow, type FilesRepo } from './repo.ts';
import { sniff } from './sniff.ts';

export interface FilesDeps {
  db: Kysely<Database>;
  files: FilesRepo;
  blobs: BlobStore;
  accounts: { requireVerified(userId: string, action: string): Promise<void> };
  events: TransactionalEventPublisher<Transaction<Database>>;
  logger: Logger;
  maxUploadBytes: number;
  quotaBytes: number;
  now?: () => number;
}

export interface FileContent {
  status: 200 | 206 | 304;
  body: Readable | null;
  headers: Record<string, string>;
}

const FILE_ID = /^fil_[0-9a-f]{28}$/;

/** Uploads (streamed to the blob store), metadata, downloads with Range/ETag, deletion. */
export class FilesService {
  private readonly now: () => number;

  constructor(private readonly deps: FilesDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** `multipart/form-data`, the file in the field `file`. */
  async upload(userId: string, request: { contentType: string | undefined; body: Readable }): Promise<FileMeta> {
    return this.store(userId, (put) => readMultipartFile(request.body, request.contentType, async (file) => ({ blob: await put(file.stream), filename: file.filename })));
  }

  /**
   * The request body is the file itself, its name given apart (`POST /v1/files/raw?name=`): no
   * multipart framing to parse. A declared length over the limit is refused before reading.
   */
  async uploadRaw(userId: string, request: { filename: string; contentLength: number | undefined; body: Readable }): Promise<FileMeta> {
    const { body } = request;
    return this.store(userId, async (put, maxBytes, tooLarge) => {
      if (request.contentLength !== undefined && request.contentLength > maxBytes) throw tooLarge();
      let failed = false;
      const markFailed = () => {
        failed = true;
      };
      body.on('error', markFailed);
      body.on('aborted', markFailed);
      try {
        return { blob: await put(body), filename: request.filename };
      } catch (cause) {
        // The body itself broke (client gone, web stream failed): not a storage failure.
        if (!(cause instanceof AppError) && (failed || body.errored || (body.destroyed && !body.readableEnded))) {
          throw new AppError('file:read_error', { cause, message: 'The upload stream failed before it ended' });
        }
        throw cause;
      } finally {
        body.off('error', markFailed);
        body.off('aborted', markFailed);
      }
    });
  }

  /**
   * Checks (verified e-mail, quota), lets `receive` stream the bytes into the blob store through
   * `put` (which applies MAX_UPLOAD_BYTES and the quota), then sniffs and records the file.
   */
  private async store(
    userId: string,
    receive: (put: (source: Readable) => Promise<StoredBlob>, maxBytes: number, tooLarge: () => AppError) => Promise<{ blob: StoredBlob; filename: string }>,
  ): Promise<FileMeta> {
    await this.deps.accounts.requireVerified(userId, 'files.upload');
    const used = await this.deps.files.usedBytes(userId);
    const room = this.deps.quotaBytes - used;
    const quotaBound = room < this.deps.maxUploadBytes;
    if (room <= 0) throw quotaExceeded(this.deps.quotaBytes);
    const maxBytes = Math.min(room, this.deps.maxUploadBytes);
    const tooLarge = () => (quotaBound ? quotaExceeded(this.deps.quotaBytes) : new AppError('FILE_TOO_LARGE', { message: `File is larger than ${this.deps.maxUploadBytes} bytes` }));
    const put = async (source: Readable) => {
      try {
        return await this.deps.blobs.put(source, { maxBytes });
      } catch (err) {
        if (err instanceof BlobTooLargeError) throw tooLarge();
        throw err;
      }
    };
    const { blob, filename } = await receive(put, maxBytes, tooLarge);
    try {
      const sniffed = await sniff(blob.head);
      const row: FileRow = {
        id: newId('fil'),
        owner_id: userId,
        name: sanitizeFilename(filename),
        size: blob.size,
        content_type: sniffed.contentType,
        sha256: blob.sha256,
        width: sniffed.width,
        height: sniffed.height,
        blob_key: blob.key,
        created_at: this.now(),
      };
      await withTransaction(this.deps.db, async (trx) => {
        // Concurrent uploads each passed the first check: the quota is settled here.
        if ((await this.deps.files.withDb(trx).usedBytes(userId)) + blob.size > this.deps.quotaBytes) throw quotaExceeded(this.deps.quotaBytes);
        await this.deps.files.withDb(trx).insert(row);
        await this.deps.events.within(trx).publish({ type: 'file.uploaded', audience: { userIds: [userId] }, data: { fileId: row.id, name: row.name, size: row.size, contentType: row.content_type } });
      });
      return presentFile(row);
    } catch (err) {
      await this.deps.blobs.delete(blob.key);
      throw err;
    }
  }

  /** The caller's own files, newest first; the cursor is the last id of the previous page. */
  async list(userId: string, page: { cursor?: string | undefined; limit: number }): Promise<{ items: FileMeta[]; nextCursor: string | null }> {
    if (page.cursor !== undefined && !FILE_ID.test(page.cursor)) {
      throw new AppError('general:validation_error', { details: [{ field: 'cursor', issue: 'not a cursor from this list' }] });
    }
    const rows = await this.deps.files.listByOwner(userId, { before: page.cursor, limit: page.limit + 1 });
    const items = rows.slice(0, page.limit).map(presentFile);
    return { items, nextCursor: rows.length > page.limit ? (items[items.length - 1]?.id ?? null) : null };
  }

  /** How much of the upload quota the caller uses, and the limits that apply to the next upload. */
  async usage(userId: string): Promise<{ usedBytes: number; quotaBytes: number; maxUploadBytes: number }> {
    return { usedBytes: await this.deps.files.usedBytes(userId), quotaBytes: this.deps.quotaBytes, maxUploadBytes: this.deps.maxUploadBytes };
  }

  async meta(viewerId: string, id: string): Promise<FileMeta> {
    return presentFile(await this.readable(viewerId, id));
  }

  async content(viewerId: string, id: string, request: { range?: string | undefined; ifNoneMatch?: string | undefined }): Promise<FileContent> {
    const row = await this.readable(viewerId, id);
    const etag = `"${row.sha256}"`;
    const inline = isInlineSafe(row.content_type);
    const headers: Record<string, string> = {
      'content-type': row.content_type,
      etag,
      'accept-ranges': 'bytes',
      'cache-control': 'private, max-age=0, must-revalidate',
      'content-disposition': contentDisposition(inline ? 'inline' : 'attachment', row.name),
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox",
    };
    if (request.ifNoneMatch?.split(',').some((t) => t.trim() === etag || t.trim() === '*')) return { status: 304, body: null, headers };
    const range = parseRange(request.range, row.size);
    try {
      if (range) {
        headers['content-range'] = `bytes ${range.start}-${range.end}/${row.size}`;
        headers['content-length'] = String(range.end - range.start + 1);
        return { status: 206, body: await this.deps.blobs.open(row.blob_key, range), headers };
      }
      headers['content-length'] = String(row.size);
      return { status: 200, body: await this.deps.blobs.open(row.blob_key), headers };
    } catch (cause) {
      throw new AppError('file:read_error', { cause, message: 'The stored file cannot be read' });
    }
  }

  async delete(userId: string, id: string): Promise<void> {
    const row = FILE_ID.test(id) ? await this.deps.files.findById(id) : undefined;
    if (!row || row.owner_id !== userId) throw new AppError('file:not_found');
    await withTransaction(this.deps.db, async (trx) => {
      if (!(await this.deps.files.withDb(trx).delete(id))) throw new AppError('file:not_found');
      await this.deps.events.within(trx).publish({ type: 'file.deleted', audience: { userIds: [userId] }, data: { fileId: id } });
    });
    await this.deps.blobs.delete(row.blob_key).catch((err: unknown) => this.deps.logger.warn({ err, fileId: id }, 'blob not removed'));
  }

  /** The owner, or anyone who can see a post it is attached to; everyone else: not found. */
  private async readable(viewerId: string, id: string): Promise<FileRow> {
    const row = FILE_ID.test(id) ? await this.deps.files.findById(id) : undefined;
    if (row && (row.owner_id === viewerId || (await attachedToVisiblePost(this.deps.db, id, viewerId)))) return row;
    throw new AppError('file:not_found');
  }
}

function quotaExceeded(quota: number): AppError {
  return new AppError('FILE_TOO_LARGE', { message: `Storage quota of ${quota} bytes exceeded` });
}

/** One `bytes=a-b`, `a-` or `-n` range within the file; anything else serves the whole file. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | null {
  const m = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!m || size === 0 || (m[1] === '' && m[2] === '')) return null;
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  return start <= end && start < size ? { start, end } : null;
}
