import { write } from 'node:fs';
import type { Readable } from 'node:stream';
import { BlobTooLargeError } from '../../ports/blob-store.ts';
import { alignedBlocks, BLOCK_BYTES, type AlignedBlocks } from './aligned-blocks.ts';
import { DIRECT_ALIGN } from './direct-io.ts';

const HEAD_BYTES = 64 * 1024;
// Blocks being written at once; past that the source is paused: memory stays constant.
const MAX_IN_FLIGHT = 4;

/** Where each chunk goes once it has been copied for the disk (the SHA-256: see stream-digest.ts). */
export interface ChunkSink {
  /** Takes the chunk; it may move its memory away (the caller must not read it afterwards). */
  update(chunk: Buffer): void;
  /** True while the sink is behind: the source is paused until `whenIdle` calls back. */
  busy(): boolean;
  whenIdle(callback: () => void): void;
}

export interface WriteOptions {
  maxBytes: number;
  /**
   * The file was opened with O_DIRECT: the last block is written zero-padded to DIRECT_ALIGN
   * (the caller truncates the file to `size`).
   */
  direct: boolean;
  sink: ChunkSink;
  /** `bytes` more of the file are written (in order); for early flushes. */
  onWritten?: (bytes: number) => void;
  blocks?: AlignedBlocks;
}

/**
 * Streams `source` into the open file `fd`: each chunk is copied into page-aligned blocks of
 * 1 MiB, and each full block is written at its offset while the next ones fill (a few at once),
 * so the file can be opened with O_DIRECT and the bytes go from these blocks to the device
 * without passing through the page cache. Then the chunk goes to the sink. The source is paused
 * while MAX_IN_FLIGHT blocks wait for the disk or the sink is behind. Past `maxBytes` (or when
 * the source fails) it stops reading at once and rejects once the writes in flight have ended.
 * The source is not destroyed: an HTTP request must stay able to carry the error response.
 * `head` is a copy of the first bytes, for sniffing the type.
 */
export function writeFrom(source: Readable, fd: number, options: WriteOptions): Promise<{ size: number; head: Buffer }> {
  const { maxBytes, direct, sink } = options;
  const blocks = options.blocks ?? alignedBlocks;
  return new Promise((resolve, reject) => {
    const head: Buffer[] = [];
    let headBytes = 0;
    let size = 0;
    let block: Buffer | undefined;
    let fill = 0;
    let offset = 0;
    let inFlight = 0;
    let ended = false;
    let paused = false;
    let failure: unknown;
    let settled = false;
    const detach = () => {
      source.off('data', onData);
      source.off('end', onEnd);
      source.off('error', fail);
      source.off('close', onClose);
    };
    const settle = () => {
      if (settled) return;
      settled = true;
      if (block !== undefined) blocks.give(block);
      block = undefined;
      if (failure !== undefined) reject(failure);
      else resolve({ size, head: Buffer.concat(head) });
    };
    function fail(err: unknown) {
      if (failure !== undefined) return;
      failure = err;
      detach();
      source.pause();
      if (inFlight === 0) settle();
    }
    function submit(last: boolean) {
      const full = block;
      const length = fill;
      const at = offset;
      block = undefined;
      fill = 0;
      offset += length;
      if (full === undefined) return;
      let bytes = length;
      if (last && direct && length % DIRECT_ALIGN !== 0) {
        bytes = Math.ceil(length / DIRECT_ALIGN) * DIRECT_ALIGN;
        // A reused block holds an earlier upload's bytes: none of them may reach this file.
        full.fill(0, length, bytes);
      }
      inFlight++;
      writeAll(fd, full, bytes, at, (err) => {
        inFlight--;
        blocks.give(full);
        if (err) fail(err);
        else if (failure === undefined) options.onWritten?.(length);
        if (failure !== undefined || ended) {
          if (inFlight === 0) settle();
        } else unthrottle();
      });
    }
    function throttle() {
      if (paused || (inFlight < MAX_IN_FLIGHT && !sink.busy())) return;
      paused = true;
      source.pause();
      if (sink.busy()) sink.whenIdle(unthrottle);
    }
    function unthrottle() {
      if (!paused || failure !== undefined || ended || inFlight >= MAX_IN_FLIGHT) return;
      if (sink.busy()) return sink.whenIdle(unthrottle);
      paused = false;
      source.resume();
    }
    function onData(chunk: Buffer) {
      size += chunk.length;
      if (size > maxBytes) return fail(new BlobTooLargeError(maxBytes));
      if (headBytes < HEAD_BYTES) {
        head.push(Buffer.from(chunk.subarray(0, HEAD_BYTES - headBytes)));
        headBytes += Math.min(chunk.length, HEAD_BYTES - headBytes);
      }
      for (let at = 0; at < chunk.length; ) {
        block ??= blocks.take();
        const n = chunk.copy(block, fill, at);
        fill += n;
        at += n;
        if (fill === BLOCK_BYTES) submit(false);
      }
      sink.update(chunk);
      throttle();
    }
    function onEnd() {
      ended = true;
      detach();
      submit(true);
      if (inFlight === 0) settle();
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

/** `write` until all `length` bytes are in the file (a regular file may still take fewer at once). */
function writeAll(fd: number, buffer: Buffer, length: number, position: number, done: (err: NodeJS.ErrnoException | null) => void, from = 0): void {
  write(fd, buffer, from, length - from, position + from, (err, written) => {
    if (err) return done(err);
    if (from + written >= length) return done(null);
    writeAll(fd, buffer, length, position, done, from + written);
  });
}
