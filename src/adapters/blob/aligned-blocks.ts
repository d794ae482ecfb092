// Node's typings leave WebAssembly out; one constructor is all this file needs.
declare const WebAssembly: { Memory: new (descriptor: { initial: number; maximum: number }) => { buffer: ArrayBuffer } };

/** Size of one block: one write per MiB received, few system calls. */
export const BLOCK_BYTES = 1024 * 1024;
const WASM_PAGE = 64 * 1024;

/**
 * Page-aligned buffers of BLOCK_BYTES for O_DIRECT writes, which refuse memory that is not
 * aligned to the device's block size: Node's Buffers are only 16-byte aligned, but a WebAssembly
 * memory starts on a page. Non-shared on purpose: a copy into a SharedArrayBuffer goes byte by
 * byte (it must tolerate other threads), into this one at memcpy speed. Given-back blocks are
 * kept for reuse, up to `keep` of them (the rest go to the garbage collector), so memory follows
 * the number of uploads in progress, not the bytes they carry.
 */
export class AlignedBlocks {
  private readonly free: Buffer[] = [];

  constructor(private readonly keep = 32) {}

  take(): Buffer {
    const pages = BLOCK_BYTES / WASM_PAGE;
    return this.free.pop() ?? Buffer.from(new WebAssembly.Memory({ initial: pages, maximum: pages }).buffer);
  }

  /** The block is no longer read or written by anyone (its write has completed). */
  give(block: Buffer): void {
    if (this.free.length < this.keep) this.free.push(block);
  }
}

/** The process's pool (see AlignedBlocks). */
export const alignedBlocks = new AlignedBlocks();
