import pino from 'pino';
import { connect, DiscardPolicy, nanos, RetentionPolicy, StorageType } from 'nats';
import { describe, expect, it } from 'vitest';
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

  it('starts on a stream whose events have all aged out (its last sequence is past every message it holds)', async () => {
    const stream = runId('basalt_events');
    const nc = await connect({ servers: url as string });
    const jsm = await nc.jetstreamManager();
    try {
      // What an hour without events leaves: sequences 1–3 used, no message left (a purge does the same).
      await jsm.streams.add({ name: stream, subjects: [`${stream}.>`], retention: RetentionPolicy.Limits, storage: StorageType.File, discard: DiscardPolicy.Old, max_age: nanos(60_000) });
      const js = nc.jetstream();
      for (let i = 0; i < 3; i++) await js.publish(`${stream}.post.created`, new TextEncoder().encode('{}'));
      await jsm.streams.purge(stream);
      expect((await jsm.streams.info(stream)).state).toMatchObject({ messages: 0, last_seq: 3 });
      const started = await Promise.race([
        NatsEventStream.connect({ url: url as string, stream, retentionMs: 60_000, maxRetained: 100, logger: pino({ level: 'silent' }) }),
        new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 5_000)),
      ]);
      expect(started).not.toBe('hung');
      if (started !== 'hung') await started.close();
    } finally {
      await jsm.streams.delete(stream).catch(() => {});
      await nc.close();
    }
  });
});
