import { statSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers/backends.ts';
import { eventually } from '../../test/helpers/eventually.ts';
import { SqliteKvStore } from '../adapters/kv/sqlite-kv.ts';
import { buildContainer } from '../app/container.ts';
import { loadConfig } from '../config/index.ts';
import { WalCheckpointer, isCheckpointable } from './wal-checkpointer.ts';

const size = (path: string) => statSync(path).size;
const value = 'x'.repeat(1000);

describe('WAL checkpointer', () => {
  it('checkpoints a file whose own connection no longer does', async () => {
    const dir = tempDir();
    const path = join(dir.path, 'kv.db');
    const kv = new SqliteKvStore({ path });
    let checkpointer: WalCheckpointer | undefined;
    try {
      expect(isCheckpointable(kv)).toBe(true);
      kv.checkpointExternally();
      const before = size(path);
      // ~1,500 pages: past SQLite's default 1,000-page autocheckpoint, which would copy them
      // into the database file inside one of these commits.
      for (let i = 0; i < 3000; i++) await kv.set(`k${i}`, value);
      expect(size(path)).toBe(before);
      expect(size(`${path}-wal`)).toBeGreaterThan(4_000_000);
      checkpointer = await WalCheckpointer.start({ paths: [path], intervalMs: 20, logger: pino({ level: 'silent' }) });
      const after = await eventually(async () => size(path), (n) => n > 3_000_000);
      expect(after).toBeGreaterThan(3_000_000);
      expect(await kv.get('k2999')).toBe(value);
    } finally {
      await checkpointer?.close();
      await kv.close();
      dir.remove();
    }
  });

  it('the embedded server hands the KV file to it: a few sign-in writes reach the database file', async () => {
    const dir = tempDir();
    const container = await buildContainer(loadConfig({ DATA_DIR: dir.path, LOG_LEVEL: 'silent' }), { logger: pino({ level: 'silent' }) });
    try {
      const path = join(dir.path, 'kv.db');
      const before = size(path);
      // Far below the autocheckpoint threshold: without the thread these pages would stay in the WAL.
      for (let i = 0; i < 20; i++) await container.kv.set(`sess:test${i}`, value);
      const after = await eventually(async () => size(path), (n) => n > before);
      expect(after).toBeGreaterThan(before);
    } finally {
      await container.close();
      dir.remove();
    }
  });
});
