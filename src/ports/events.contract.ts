import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newEventId } from '../adapters/events/sql-event-outbox.ts';
import type { AudienceFilter, EventAudience, EventStream, PublishedEvent } from './events.ts';

export interface OpenedEventStreams {
  /** Two instances on the SAME backing stream (the in-process adapter passes one object twice). */
  a: EventStream;
  b: EventStream;
  cleanup(): Promise<void>;
}

let n = 0;
function event(audience: EventAudience, type = 'test.happened'): PublishedEvent {
  n += 1;
  return { id: newEventId(), type, audience, data: { n }, occurredAt: Date.now() };
}

function collector(stream: EventStream, filter: AudienceFilter, after?: string) {
  const got: PublishedEvent[] = [];
  const sub = stream.subscribe(filter, (e) => got.push(e), after === undefined ? {} : { after });
  return { got, sub };
}

async function until(check: () => boolean, ms = 3_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting for events');
    await sleep(5);
  }
}

/** The EventStream contract (src/ports/events.ts): every adapter runs it. */
export function runEventStreamContract(name: string, open: () => Promise<OpenedEventStreams>): void {
  describe(`EventStream contract: ${name}`, () => {
    let s: OpenedEventStreams;
    beforeAll(async () => {
      s = await open();
    });
    afterAll(() => s.cleanup());

    it('delivers to subscribers whose user or workspace is in the audience, and to no one else', async () => {
      const me = collector(s.b, { userIds: new Set(['usr_me']) });
      const team = collector(s.b, { workspaceIds: new Set(['wsp_team']) });
      const other = collector(s.b, { userIds: new Set(['usr_other']), workspaceIds: new Set(['wsp_other']) });
      const all = collector(s.b, { all: true });
      await Promise.all([me.sub, team.sub, other.sub, all.sub]);
      const mine = event({ userIds: ['usr_me'] });
      const theirs = event({ workspaceIds: ['wsp_team'] });
      const nobody = event({});
      await s.a.publish([mine, theirs, nobody]);
      await until(() => all.got.length === 3);
      expect(me.got.map((e) => e.id)).toEqual([mine.id]);
      expect(team.got.map((e) => e.id)).toEqual([theirs.id]);
      expect(other.got).toEqual([]);
      expect(all.got.map((e) => e.id)).toEqual([mine.id, theirs.id, nobody.id]);
      expect(me.got[0]).toEqual(mine);
      for (const c of [me, team, other, all]) await (await c.sub).close();
    });

    it('reads the filter sets at delivery time (a user who joins a workspace sees its events)', async () => {
      const workspaces = new Set<string>();
      const c = collector(s.b, { userIds: new Set(['usr_joiner']), workspaceIds: workspaces });
      // Sees every event on the same instance, in the same delivery pass as `c`: once it has
      // `before`, `c` has judged it too (across instances delivery is asynchronous, and joining
      // while `before` was still on its way would rightly let it through).
      const witness = collector(s.b, { all: true });
      await Promise.all([c.sub, witness.sub]);
      const before = event({ workspaceIds: ['wsp_joined'] });
      await s.a.publish([before]);
      await until(() => witness.got.some((e) => e.id === before.id));
      workspaces.add('wsp_joined');
      const after = event({ workspaceIds: ['wsp_joined'] });
      await s.a.publish([after]);
      await until(() => c.got.length >= 1);
      await sleep(50);
      expect(c.got.map((e) => e.id)).toEqual([after.id]);
      for (const sub of [c, witness]) await (await sub.sub).close();
    });

    it('keeps order and drops a duplicate id (at-least-once upstream)', async () => {
      const c = collector(s.b, { userIds: new Set(['usr_order']) });
      await c.sub;
      const batch = Array.from({ length: 50 }, () => event({ userIds: ['usr_order'] }));
      await s.a.publish(batch.slice(0, 30));
      await s.a.publish([batch[10] as PublishedEvent, ...batch.slice(30)]);
      await until(() => c.got.length >= 50);
      await sleep(50);
      expect(c.got.map((e) => e.id)).toEqual(batch.map((e) => e.id));
      await (await c.sub).close();
    });

    it('resumes after an id: replays what came after it, then live events, with no gap or repeat', async () => {
      const first = event({ userIds: ['usr_resume'] });
      const missed = [event({ userIds: ['usr_resume'] }), event({ userIds: ['usr_else'] }), event({ userIds: ['usr_resume'] })];
      await s.a.publish([first, ...missed]);
      const live = collector(s.b, { all: true });
      await live.sub;
      await s.a.publish([event({})]);
      await until(() => live.got.length >= 1);
      const c = collector(s.b, { userIds: new Set(['usr_resume']) }, first.id);
      const sub = await c.sub;
      expect(sub.resumed).toBe(true);
      const next = event({ userIds: ['usr_resume'] });
      await s.a.publish([next]);
      await until(() => c.got.length >= 3);
      await sleep(50);
      expect(c.got.map((e) => e.id)).toEqual([missed[0]?.id, missed[2]?.id, next.id]);
      await sub.close();
      await (await live.sub).close();
    });

    it('reports resumed: false for an unknown id and replays what is retained after it', async () => {
      const old = newEventId(Date.now() - 1_000);
      const retained = event({ userIds: ['usr_gap'] });
      await s.a.publish([retained]);
      const probe = collector(s.b, { userIds: new Set(['usr_gap']) });
      await probe.sub;
      await sleep(50);
      const c = collector(s.b, { userIds: new Set(['usr_gap']) }, old);
      const sub = await c.sub;
      expect(sub.resumed).toBe(false);
      await until(() => c.got.length >= 1);
      expect(c.got.map((e) => e.id)).toEqual([retained.id]);
      await sub.close();
      await (await probe.sub).close();
    });

    it('a closed subscription receives nothing more', async () => {
      const c = collector(s.b, { userIds: new Set(['usr_closed']) });
      await (await c.sub).close();
      await s.a.publish([event({ userIds: ['usr_closed'] })]);
      await sleep(100);
      expect(c.got).toEqual([]);
    });

    it('answers ping while open', async () => {
      await expect(s.a.ping()).resolves.toBeUndefined();
      await expect(s.b.ping()).resolves.toBeUndefined();
    });
  });
}
