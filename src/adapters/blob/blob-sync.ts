import { fdatasync } from 'node:fs';
import { open } from 'node:fs/promises';

/**
 * The two flushes that make a stored blob survive a power cut: the file's bytes, then the
 * directory entry that names it. Without them a 201 could point at a file the page cache held
 * and the disk never got (an empty or missing file after a crash). A seam so a test can see that
 * both happen, and when.
 */
export interface BlobSync {
  /** The file's bytes and size on the device (fdatasync: the rest of its metadata is not needed to read it back). */
  file(fd: number): Promise<void>;
  /** A directory's entries on the device: a rename into it, or a sub-directory created in it. */
  directory(path: string): Promise<void>;
}

export const diskSync: BlobSync = {
  file: (fd) =>
    new Promise((resolve, reject) => {
      fdatasync(fd, (err) => (err ? reject(err) : resolve()));
    }),
  directory: async (path) => {
    // Windows cannot open a directory to flush it; NTFS journals renames itself.
    if (process.platform === 'win32') return;
    const dir = await open(path, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  },
};
