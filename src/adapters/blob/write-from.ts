import { writev } from 'node:fs';
import type { Readable } from 'node:stream';
import { BlobTooLargeError } from '../../ports/blob-store.ts';

const HEAD_BYTES = 64 * 1024;
// One writev per ~1 MiB received (not one write per 64 KiB socket chunk): few system calls.
const WRITE_BATCH = 1024 * 1024;
// Queued bytes at which the source is paused until the disk catches up: memory stays constant.
const MAX_QUEUED = 4 * 1024 * 1024;

/**
 * Streams `source` into the open file `fd`: chunks are queued as they arrive and written with one
 * `writev` per ~1 MiB while the next chunks arrive. The source is paused while a few MiB wait for
 * the disk. Past `maxBytes` (or when the source fails) it stops reading at once and rejects after
 * the write in flight has finished. The source is not destroyed: an HTTP request must stay able
 * to carry the error response. `onWritten` hears of each batch once it is in the file (the
 * SHA-256 is taken from there, off the event loop: see file-digest.ts). `head` is a copy of the
 * first bytes, for sniffing the type.
 */
export function writeFrom(
  source: Readable,
  fd: number,
  maxBytes: number,
  onWritten: (bytes: number) => void = () => {},
): Promise<{ size: number; head: Buffer }> {
  return new Promise((resolve, reject) => {
    const head: Buffer[] = [];
    let headBytes = 0;
    let size = 0;
    let queue: Buffer[] = [];
    let queued = 0;
    let writing = false;
    let ended = false;
    let paused = false;
    let failure: unknown;
    const detach = () => {
      source.off('data', onData);
      source.off('end', onEnd);
      source.off('error', fail);
      source.off('close', onClose);
    };
    const settle = () => {
      if (failure !== undefined) reject(failure);
      else resolve({ size, head: Buffer.concat(head) });
    };
    function fail(err: unknown) {
      if (failure !== undefined) return;
      failure = err;
      detach();
      source.pause();
      if (!writing) settle();
    }
    function flush() {
      writing = true;
      const buffers = queue;
      const bytes = queued;
      queue = [];
      queued = 0;
      writeAll(fd, buffers, (err) => {
        writing = false;
        if (failure !== undefined) return settle();
        if (err) return fail(err);
        onWritten(bytes);
        if (paused && queued < MAX_QUEUED) {
          paused = false;
          source.resume();
        }
        if (queued >= WRITE_BATCH || (ended && queued > 0)) flush();
        else if (ended) settle();
      });
    }
    function onData(chunk: Buffer) {
      size += chunk.length;
      if (size > maxBytes) return fail(new BlobTooLargeError(maxBytes));
      if (headBytes < HEAD_BYTES) {
        head.push(Buffer.from(chunk.subarray(0, HEAD_BYTES - headBytes)));
        headBytes += Math.min(chunk.length, HEAD_BYTES - headBytes);
      }
      queue.push(chunk);
      queued += chunk.length;
      if (!writing && queued >= WRITE_BATCH) flush();
      if (queued >= MAX_QUEUED && !paused) {
        paused = true;
        source.pause();
      }
    }
    function onEnd() {
      ended = true;
      detach();
      if (writing) return;
      if (queued > 0) flush();
      else settle();
    }
    function onClose() {
      // Closed without 'end' or 'error': destroyed by someone else mid-way.
      if (!ended) fail(new Error('the source closed before it ended'));
    }
    if (source.errored) return fail(source.errored);
    source.on('data', onData);
    source.on('end', onEnd);
    source.on('error', fail);
    source.on('close', onClose);
  });
}

/** `writev` until every byte is written (a regular file may still take fewer at once). */
function writeAll(fd: number, buffers: Buffer[], done: (err: NodeJS.ErrnoException | null) => void): void {
  writev(fd, buffers, (err, written) => {
    if (err) return done(err);
    let rest = written;
    let i = 0;
    while (i < buffers.length && rest >= (buffers[i] as Buffer).length) rest -= (buffers[i++] as Buffer).length;
    if (i === buffers.length) return done(null);
    const remaining = buffers.slice(i);
    remaining[0] = (remaining[0] as Buffer).subarray(rest);
    writeAll(fd, remaining, done);
  });
}
