import { closeSync, constants, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { alignedBlocks } from './aligned-blocks.ts';

/**
 * O_DIRECT lengths and file offsets must be multiples of the device's logical block size (512 B
 * or 4 KiB); 4 KiB covers both.
 */
export const DIRECT_ALIGN = 4096;

/**
 * The open flag that writes a file around the page cache (O_DIRECT), or 0 where `dir` cannot:
 * a platform without it (macOS, Windows), or a file system that refuses it at open or at the
 * first write (some FUSE and network file systems). Tried once, with a real aligned write.
 */
export function directIoFlag(dir: string): number {
  const flag = constants.O_DIRECT;
  if (flag === undefined) return 0;
  const path = join(dir, `.direct-io-probe-${process.pid}`);
  const block = alignedBlocks.take();
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | flag, 0o600);
    block.fill(0, 0, DIRECT_ALIGN);
    writeSync(fd, block, 0, DIRECT_ALIGN, 0);
    return flag;
  } catch {
    return 0;
  } finally {
    alignedBlocks.give(block);
    if (fd !== undefined) closeSync(fd);
    rmSync(path, { force: true });
  }
}
