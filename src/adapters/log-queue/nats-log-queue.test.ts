import { describe } from 'vitest';
import { runId, serviceUrl } from '../../../test/helpers/backends.ts';
import { runLogQueueContract } from '../../ports/log-queue.contract.ts';
import { NatsLogQueue } from './nats-log-queue.ts';

const url = serviceUrl('NATS_URL');

describe.skipIf(!url)('NATS JetStream log queue', () => {
  runLogQueueContract('nats-jetstream', async () => {
    const stream = runId('logq');
    const opened: NatsLogQueue[] = [];
    return {
      open: async ({ minSeq, maxBytes }) => {
        const q = await NatsLogQueue.connect({ url: url as string, stream, minSeq, maxBytes, ackWaitMs: 5_000 });
        opened.push(q);
        return q;
      },
      cleanup: async () => {
        const q = await NatsLogQueue.connect({ url: url as string, stream, minSeq: 1, maxBytes: 1 << 20 });
        await q.deleteStream();
        await q.close();
      },
    };
  });
});
