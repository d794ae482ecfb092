import type { Container } from '../../src/app/container.ts';
import { ok } from '../../src/http/envelope.ts';
import type { MailJob } from '../../src/modules/mail/mailer.ts';
import { MailJobSchema } from '../../src/modules/mail/schemas.ts';
import type { ApiResponse, TestEnvelope } from '../helpers/http.ts';
import { createTestApp, type TestApp, type TestAppOptions } from '../helpers/test-app.ts';

/** The path of the test-only route that sends one mail through `container.mailer`. */
export const SEND_PATH = '/test/mail';

export interface MailTestApp extends TestApp {
  send(job: MailJob): Promise<ApiResponse<TestEnvelope>>;
}

/**
 * A full test app plus `POST /test/mail {template, to, data}`, which calls
 * `container.mailer.send` and answers in the envelope: the mailer's errors reach the client
 * (and the error-code coverage record) exactly as a real route's would.
 */
export async function createMailTestApp(options: TestAppOptions = {}): Promise<MailTestApp> {
  let built: Container | undefined;
  const t = await createTestApp({
    ...options,
    extend: (app) => {
      app.post(SEND_PATH, async (c) => {
        if (!built) throw new Error('the container is not built yet');
        const job = MailJobSchema.parse(await c.req.json());
        await built.mailer.send(job.template, job.to, job.data);
        return ok(c, { sent: true });
      });
    },
  });
  built = t.container;
  return { ...t, send: (job) => t.call('POST', SEND_PATH, { json: job }) };
}
