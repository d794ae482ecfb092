import { join } from 'node:path';
import { tempDir } from '../../../test/helpers/backends.ts';
import { runLogQueueContract } from '../../ports/log-queue.contract.ts';
import { SqliteLogQueue } from './sqlite-log-queue.ts';

runLogQueueContract('sqlite', async () => {
  const dir = tempDir('basalt-log-queue-');
  const path = join(dir.path, 'log-queue.db');
  return {
    open: async ({ minSeq, maxBytes }) => new SqliteLogQueue({ path, minSeq, maxBytes, pollMs: 50 }),
    cleanup: async () => dir.remove(),
  };
});
