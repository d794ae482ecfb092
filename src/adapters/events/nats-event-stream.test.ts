import pino from 'pino';
import { describe } from 'vitest';
import { runId, serviceUrl } from '../../../test/helpers/backends.ts';
import { runEventStreamContract } from '../../ports/events.contract.ts';
import { NatsEventStream } from './nats-event-stream.ts';

const url = serviceUrl('NATS_URL');

describe.skipIf(!url)('NATS JetStream event stream', () => {
  runEventStreamContract('nats', async () => {
    const stream = runId('basalt_events');
    const options = { url: url as string, stream, retentionMs: 60_000, maxRetained: 10_000, logger: pino({ level: 'silent' }) };
    const a = await NatsEventStream.connect(options);
    const b = await NatsEventStream.connect(options);
    return {
      a,
      b,
      cleanup: async () => {
        await a.deleteStream();
        await Promise.all([a.close(), b.close()]);
      },
    };
  });
});
