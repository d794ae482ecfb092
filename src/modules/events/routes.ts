import { createRoute, z } from '@hono/zod-openapi';
import { currentUser, requireUser } from '../../http/auth.ts';
import { errorResponses } from '../../http/openapi.ts';
import { bearerAuth } from '../../http/route.ts';
import { createRouter } from '../../http/router.ts';
import type { PublishedEvent } from '../../ports/events.ts';
import type { EventsService, FeedEnd } from './service.ts';
import { openSseSink } from './sse-sink.ts';

export interface EventsRoutesDeps {
  events: EventsService;
  heartbeatMs: number;
  /** Frames buffered for one slow client before it is cut off (it resumes with Last-Event-ID). */
  maxQueued?: number;
}

const route = createRoute({
  method: 'get',
  path: '/v1/events',
  tags: ['events'],
  summary: 'Live events for the signed-in user (Server-Sent Events)',
  description:
    'Each event: `id` (send it back as `Last-Event-ID` to resume), `event` (type), `data` (JSON `{id, type, data, occurredAt}`). ' +
    'The first message is `ready` with `{resumed}`; `resumed: false` means the id was past the retention window. Comments (`: heartbeat`) keep the connection open. ' +
    'The stream ends when the access token expires or the session is revoked, with a last `end` message `{reason: "token_expired" | "session_ended"}`: ' +
    'refresh the token (or sign in again) and reconnect with `Last-Event-ID`.',
  security: bearerAuth,
  request: { headers: z.object({ 'last-event-id': z.string().max(64).optional() }) },
  responses: { 200: { description: 'An event stream', content: { 'text/event-stream': { schema: z.string() } } }, ...errorResponses(401, 429, 500, 503) },
});

// One event reaches every subscriber as the same object: it is serialised once per fan-out,
// not once per connection. Weak, so a frame lives exactly as long as its event.
const frames = new WeakMap<PublishedEvent, Buffer>();

function eventFrame(e: PublishedEvent): Buffer {
  let frame = frames.get(e);
  if (!frame) {
    const data = JSON.stringify({ id: e.id, type: e.type, data: e.data, occurredAt: new Date(e.occurredAt).toISOString() });
    frame = Buffer.from(`id: ${e.id}\nevent: ${e.type}\ndata: ${data}\n\n`);
    frames.set(e, frame);
  }
  return frame;
}

const readyFrame = (resumed: boolean) => Buffer.from(`event: ready\ndata: ${JSON.stringify({ resumed })}\nretry: 3000\n\n`);
const endFrames: Record<FeedEnd, Buffer> = {
  token_expired: Buffer.from('event: end\ndata: {"reason":"token_expired"}\n\n'),
  session_ended: Buffer.from('event: end\ndata: {"reason":"session_ended"}\n\n'),
};

export function eventsRoutes(deps: EventsRoutesDeps) {
  const app = createRouter();
  const maxQueued = deps.maxQueued ?? 10_000;
  app.use('/v1/events', requireUser);
  app.openapi(route, async (c) => {
    const actor = currentUser(c);
    const sink = openSseSink(c, { heartbeatMs: deps.heartbeatMs, maxQueued });
    const feed = await deps.events.open({ userId: actor.userId, sessionId: actor.sessionId, expiresAt: actor.tokenExpiresAt }, c.req.valid('header')['last-event-id'], {
      event: (e) => sink.send(eventFrame(e)),
      end: (reason) => sink.end(endFrames[reason]),
    });
    sink.onClose(() => void feed.close());
    return sink.start(readyFrame(feed.resumed));
  });
  return app;
}
