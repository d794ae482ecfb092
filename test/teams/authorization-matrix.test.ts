import type { OpenAPIHono } from '@hono/zod-openapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../src/app/services.ts';
import { memberOrKey, requireScope } from '../../src/http/api-key-auth.ts';
import type { AppEnv } from '../../src/http/env.ts';
import { ok } from '../../src/http/envelope.ts';
import type { Container } from '../../src/app/container.ts';
import { stacks, startAccountsApp, type AccountsApp } from '../accounts/harness.ts';
import { addMember, createKey, createProject, createWorkspace, freshEmail, invite, person, slug, type CreatedKey, type Person } from './harness.ts';

/**
 * Every workspace, member, invitation, project and key route × every kind of caller → the
 * documented status and code (docs/teams.md). Callers run refusals first and the owner last,
 * so a destructive success never changes what the others see; rows that need it get a fresh
 * target per row or per caller.
 */
type Actor = 'anonymous' | 'keyWith' | 'keyWithout' | 'outsider' | 'member' | 'admin' | 'owner';
const ACTORS: Actor[] = ['anonymous', 'keyWith', 'keyWithout', 'outsider', 'member', 'admin', 'owner'];
type Outcome = number | readonly [number, string];

interface Ctx {
  slug: string;
  projectId: string;
  otherProjectId: string;
  keyId: string;
  invitationId: string;
  invitationToken: string;
  targetUserId: string;
  ownerId: string;
  adminId: string;
}

interface Row {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  url: (c: Ctx) => string;
  body?: (c: Ctx) => unknown;
  /** The scope that "key with" has and "key without" lacks (default logs:read). */
  scope?: 'logs:read' | 'logs:write';
  /** A fresh target for this caller (destructive rows); return {} to use the shared one. */
  setup?: (actor: Actor) => Promise<Partial<Ctx>>;
  expect: Record<Actor, Outcome>;
}

const NEED_USER = [401, 'user:unauthorized'] as const;
const NEED_KEY = [401, 'apikey:required'] as const;
const WS_404 = [404, 'workspace:not_found'] as const;
const P_404 = [404, 'project:not_found'] as const;
const ROLE = [403, 'workspace:role_insufficient'] as const;
const OWNER_PROTECTED = [403, 'workspace:owner_protected'] as const;
const OWNER_ONLY = [403, 'workspace:owner_only'] as const;
const SCOPE = [403, 'apikey:scope_insufficient'] as const;

/** A route for signed-in users: anonymous callers and API keys get 401 user:unauthorized. */
function users(owner: Outcome, admin: Outcome, member: Outcome, outsider: Outcome): Record<Actor, Outcome> {
  return { anonymous: NEED_USER, keyWith: NEED_USER, keyWithout: NEED_USER, outsider, member, admin, owner };
}

/** Routes that consume the key middleware the way the log routes (issue 6) will. */
function probeRoutes(app: OpenAPIHono<AppEnv>, _container: Container, services: Services): void {
  app.use('/v1/projects/:id/probe/read', memberOrKey(services.projects, 'logs:read'));
  app.get('/v1/projects/:id/probe/read', (c) => ok(c, { projectId: c.req.param('id') }));
  app.use('/v1/probe/ingest', requireScope('logs:write'));
  app.post('/v1/probe/ingest', (c) => ok(c, { projectId: c.get('apiKey')?.projectId }));
}

describe.each(stacks())('authorization matrix ($name)', (stack) => {
  let app: AccountsApp;
  let owner: Person;
  let admin: Person;
  let member: Person;
  let outsider: Person;
  let keyRead: CreatedKey;
  let keyWrite: CreatedKey;
  let shared: Ctx;

  beforeAll(async () => {
    app = await startAccountsApp({ stack, extend: probeRoutes });
    [owner, admin, member, outsider] = await Promise.all([person(app), person(app), person(app), person(app)]);
    const ws = await createWorkspace(app, owner, 'Matrix');
    await addMember(app, ws.slug, owner, admin, 'admin');
    await addMember(app, ws.slug, owner, member, 'member');
    const target = await person(app);
    await addMember(app, ws.slug, owner, target, 'member');
    const project = await createProject(app, ws.slug, owner);
    keyRead = await createKey(app, project.id, owner, { scopes: ['logs:read', 'posts:read'] });
    keyWrite = await createKey(app, project.id, owner, { scopes: ['logs:write'] });
    const spareKey = await createKey(app, project.id, owner, { scopes: ['posts:write'] });
    // The outsider has a workspace and project of their own, which nobody else may reach.
    const theirs = await createWorkspace(app, outsider, 'Elsewhere');
    const otherProject = await createProject(app, theirs.slug, outsider);
    const invitationToken = await invite(app, ws.slug, owner, freshEmail());
    const pending = await app.call('GET', `/v1/workspaces/${ws.slug}/invitations`, { token: owner.accessToken });
    shared = {
      slug: ws.slug,
      projectId: project.id,
      otherProjectId: otherProject.id,
      keyId: spareKey.id,
      invitationId: (pending.body.data as Array<{ id: string }>)[0]?.id as string,
      invitationToken,
      targetUserId: target.id,
      ownerId: owner.id,
      adminId: admin.id,
    };
  });
  afterAll(() => app.close());

  /** A new workspace owned by `owner` with `admin` and `member` in it. */
  async function freshTeam(): Promise<Partial<Ctx>> {
    const ws = await createWorkspace(app, owner, 'Fresh');
    await addMember(app, ws.slug, owner, admin, 'admin');
    await addMember(app, ws.slug, owner, member, 'member');
    return { slug: ws.slug };
  }
  const forSucceeding = (fn: () => Promise<Partial<Ctx>>) => async (actor: Actor) => (actor === 'owner' || actor === 'admin' ? fn() : {});

  const rows: Row[] = [
    // workspaces
    { method: 'POST', path: '/v1/workspaces', url: () => '/v1/workspaces', body: () => ({ name: 'New', slug: slug() }), expect: users(201, 201, 201, 201) },
    { method: 'GET', path: '/v1/workspaces', url: () => '/v1/workspaces', expect: users(200, 200, 200, 200) },
    { method: 'GET', path: '/v1/workspaces/:slug', url: (c) => `/v1/workspaces/${c.slug}`, expect: users(200, 200, 200, WS_404) },
    { method: 'PATCH', path: '/v1/workspaces/:slug', url: (c) => `/v1/workspaces/${c.slug}`, body: () => ({ name: 'Matrix' }), expect: users(200, 200, ROLE, WS_404) },
    {
      method: 'DELETE',
      path: '/v1/workspaces/:slug',
      url: (c) => `/v1/workspaces/${c.slug}`,
      setup: async (actor) => (actor === 'anonymous' ? freshTeam() : {}),
      expect: users(200, ROLE, ROLE, WS_404),
    },
    // members
    { method: 'GET', path: '/v1/workspaces/:slug/members', url: (c) => `/v1/workspaces/${c.slug}/members`, expect: users(200, 200, 200, WS_404) },
    {
      method: 'PATCH',
      path: '/v1/workspaces/:slug/members/:userId',
      url: (c) => `/v1/workspaces/${c.slug}/members/${c.targetUserId}`,
      body: () => ({ role: 'member' }),
      expect: users(200, 200, ROLE, WS_404),
    },
    {
      method: 'PATCH',
      path: '/v1/workspaces/:slug/members/:ownerId',
      url: (c) => `/v1/workspaces/${c.slug}/members/${c.ownerId}`,
      body: () => ({ role: 'member' }),
      expect: users(OWNER_PROTECTED, OWNER_PROTECTED, ROLE, WS_404),
    },
    {
      method: 'DELETE',
      path: '/v1/workspaces/:slug/members/:userId',
      url: (c) => `/v1/workspaces/${c.slug}/members/${c.targetUserId}`,
      setup: forSucceeding(async () => {
        const t = await person(app);
        await addMember(app, shared.slug, owner, t, 'member');
        return { targetUserId: t.id };
      }),
      expect: users(200, 200, ROLE, WS_404),
    },
    {
      method: 'DELETE',
      path: '/v1/workspaces/:slug/members/me (leave)',
      url: (c) => `/v1/workspaces/${c.slug}/members/me`,
      setup: async (actor) => (actor === 'admin' || actor === 'member' ? freshTeam() : {}),
      expect: users(OWNER_PROTECTED, 200, 200, WS_404),
    },
    {
      method: 'POST',
      path: '/v1/workspaces/:slug/transfer',
      url: (c) => `/v1/workspaces/${c.slug}/transfer`,
      body: (c) => ({ userId: c.adminId }),
      setup: async (actor) => (actor === 'anonymous' ? freshTeam() : {}),
      expect: users(200, OWNER_ONLY, OWNER_ONLY, WS_404),
    },
    // invitations
    {
      method: 'POST',
      path: '/v1/workspaces/:slug/invitations',
      url: (c) => `/v1/workspaces/${c.slug}/invitations`,
      body: () => ({ email: freshEmail(), role: 'member' }),
      expect: users(201, 201, ROLE, WS_404),
    },
    { method: 'GET', path: '/v1/workspaces/:slug/invitations', url: (c) => `/v1/workspaces/${c.slug}/invitations`, expect: users(200, 200, ROLE, WS_404) },
    {
      method: 'DELETE',
      path: '/v1/workspaces/:slug/invitations/:id',
      url: (c) => `/v1/workspaces/${c.slug}/invitations/${c.invitationId}`,
      setup: forSucceeding(async () => {
        const email = freshEmail();
        await invite(app, shared.slug, owner, email);
        const list = await app.call('GET', `/v1/workspaces/${shared.slug}/invitations?limit=100`, { token: owner.accessToken });
        return { invitationId: (list.body.data as Array<{ id: string; email: string }>).find((i) => i.email === email)?.id as string };
      }),
      expect: users(200, 200, ROLE, WS_404),
    },
    {
      method: 'POST',
      path: '/v1/invitations/:token/accept (someone else’s)',
      url: (c) => `/v1/invitations/${c.invitationToken}/accept`,
      expect: users([403, 'invitation:email_mismatch'], [403, 'invitation:email_mismatch'], [403, 'invitation:email_mismatch'], [403, 'invitation:email_mismatch']),
    },
    // projects
    { method: 'POST', path: '/v1/workspaces/:slug/projects', url: (c) => `/v1/workspaces/${c.slug}/projects`, body: () => ({ name: 'P' }), expect: users(201, 201, ROLE, WS_404) },
    { method: 'GET', path: '/v1/workspaces/:slug/projects', url: (c) => `/v1/workspaces/${c.slug}/projects`, expect: users(200, 200, 200, WS_404) },
    { method: 'GET', path: '/v1/projects/:id', url: (c) => `/v1/projects/${c.projectId}`, expect: users(200, 200, 200, P_404) },
    { method: 'GET', path: '/v1/projects/:id (another workspace’s)', url: (c) => `/v1/projects/${c.otherProjectId}`, expect: users(P_404, P_404, P_404, 200) },
    { method: 'PATCH', path: '/v1/projects/:id', url: (c) => `/v1/projects/${c.projectId}`, body: () => ({ name: 'Renamed' }), expect: users(200, 200, ROLE, P_404) },
    {
      method: 'PATCH',
      path: '/v1/projects/:id (another workspace’s)',
      url: (c) => `/v1/projects/${c.otherProjectId}`,
      body: () => ({ name: 'Hijacked' }),
      expect: users(P_404, P_404, P_404, 200),
    },
    {
      method: 'DELETE',
      path: '/v1/projects/:id',
      url: (c) => `/v1/projects/${c.projectId}`,
      setup: forSucceeding(async () => ({ projectId: (await createProject(app, shared.slug, owner, 'Doomed')).id })),
      expect: users(200, 200, ROLE, P_404),
    },
    // API keys
    { method: 'POST', path: '/v1/projects/:id/keys', url: (c) => `/v1/projects/${c.projectId}/keys`, body: () => ({ name: 'k', scopes: ['logs:write'] }), expect: users(201, 201, ROLE, P_404) },
    { method: 'GET', path: '/v1/projects/:id/keys', url: (c) => `/v1/projects/${c.projectId}/keys`, expect: users(200, 200, ROLE, P_404) },
    { method: 'GET', path: '/v1/projects/:id/keys (another workspace’s)', url: (c) => `/v1/projects/${c.otherProjectId}/keys`, expect: users(P_404, P_404, P_404, 200) },
    {
      method: 'DELETE',
      path: '/v1/projects/:id/keys/:keyId',
      url: (c) => `/v1/projects/${c.projectId}/keys/${c.keyId}`,
      setup: forSucceeding(async () => ({ keyId: (await createKey(app, shared.projectId, owner, { scopes: ['logs:read'] })).id })),
      expect: users(200, 200, ROLE, P_404),
    },
    {
      method: 'GET',
      path: '/v1/projects/:id/keys/current',
      url: (c) => `/v1/projects/${c.projectId}/keys/current`,
      expect: { anonymous: NEED_KEY, keyWith: 200, keyWithout: 200, outsider: NEED_KEY, member: NEED_KEY, admin: NEED_KEY, owner: NEED_KEY },
    },
    {
      method: 'GET',
      path: '/v1/projects/:id/keys/current (another project)',
      url: (c) => `/v1/projects/${c.otherProjectId}/keys/current`,
      expect: { anonymous: NEED_KEY, keyWith: P_404, keyWithout: P_404, outsider: NEED_KEY, member: NEED_KEY, admin: NEED_KEY, owner: NEED_KEY },
    },
    // The key helpers, as the log routes use them: "A member or K logs:read", and "K logs:write".
    {
      method: 'GET',
      path: 'memberOrKey(logs:read) on /v1/projects/:id/…',
      url: (c) => `/v1/projects/${c.projectId}/probe/read`,
      expect: { anonymous: NEED_USER, keyWith: 200, keyWithout: SCOPE, outsider: P_404, member: 200, admin: 200, owner: 200 },
    },
    {
      method: 'GET',
      path: 'memberOrKey(logs:read) on another workspace’s project',
      url: (c) => `/v1/projects/${c.otherProjectId}/probe/read`,
      expect: { anonymous: NEED_USER, keyWith: P_404, keyWithout: P_404, outsider: 200, member: P_404, admin: P_404, owner: P_404 },
    },
    {
      method: 'POST',
      path: 'requireScope(logs:write)',
      url: () => '/v1/probe/ingest',
      scope: 'logs:write',
      expect: { anonymous: NEED_KEY, keyWith: 200, keyWithout: SCOPE, outsider: NEED_KEY, member: NEED_KEY, admin: NEED_KEY, owner: NEED_KEY },
    },
  ];

  function credentials(actor: Actor, scope: 'logs:read' | 'logs:write'): { token?: string; headers?: Record<string, string> } {
    const [withKey, withoutKey] = scope === 'logs:read' ? [keyRead, keyWrite] : [keyWrite, keyRead];
    switch (actor) {
      case 'anonymous':
        return {};
      // One key column sends Authorization: Bearer bsk_…, the other X-API-Key: both must work.
      case 'keyWith':
        return { token: withKey.secret };
      case 'keyWithout':
        return { headers: { 'x-api-key': withoutKey.secret } };
      case 'outsider':
        return { token: outsider.accessToken };
      case 'member':
        return { token: member.accessToken };
      case 'admin':
        return { token: admin.accessToken };
      case 'owner':
        return { token: owner.accessToken };
    }
  }

  const show = (o: Outcome) => (typeof o === 'number' ? String(o) : `${o[0]} ${o[1]}`);

  it.each(rows.map((r) => [`${r.method} ${r.path}`, r] as const))('%s', async (_name, row) => {
    const got: Record<string, string> = {};
    const want: Record<string, string> = {};
    let rowCtx: Partial<Ctx> = {};
    for (const actor of ACTORS) {
      const fresh = row.setup ? await row.setup(actor) : {};
      // A fresh target made for the first caller serves the whole row (e.g. delete-workspace).
      if (actor === 'anonymous') rowCtx = fresh;
      const ctx = { ...shared, ...rowCtx, ...fresh };
      const body = row.body?.(ctx);
      const res = await app.call(row.method, row.url(ctx), { ...credentials(actor, row.scope ?? 'logs:read'), ...(body !== undefined ? { json: body } : {}) });
      const expected = row.expect[actor];
      want[actor] = show(expected);
      got[actor] = typeof expected === 'number' ? String(res.status) : `${res.status} ${res.body.error?.code ?? ''}`;
    }
    expect(got).toEqual(want);
  });
});
