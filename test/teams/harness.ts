import { expect } from 'vitest';
import type { ApiResponse, TestEnvelope } from '../helpers/http.ts';
import { identity, mailedToken, passwordlessAccount, type AccountsApp } from '../accounts/harness.ts';

export interface Person {
  id: string;
  email: string;
  handle: string;
  accessToken: string;
}

let seq = 0;

/** A unique, valid workspace slug. */
export function slug(prefix = 'ws'): string {
  seq += 1;
  return `${prefix}-${process.pid}-${seq}-${Math.random().toString(36).slice(2, 6)}`.slice(0, 40);
}

/** A verified, signed-in account (created directly, as an OAuth sign-up leaves one; fast). */
export function person(app: AccountsApp): Promise<Person> {
  return passwordlessAccount(app);
}

/** Asserts status (and code), showing the body when it does not match. */
export function expectStatus(res: ApiResponse<TestEnvelope>, status: number, code?: string): void {
  const got = `${res.status} ${res.body.error?.code ?? ''}`.trim();
  const want = `${status} ${code ?? ''}`.trim();
  expect(got, res.text).toBe(want);
}

export async function createWorkspace(app: AccountsApp, owner: Person, name = 'Acme'): Promise<{ id: string; slug: string; name: string }> {
  const res = await app.call('POST', '/v1/workspaces', { token: owner.accessToken, json: { name, slug: slug() } });
  expectStatus(res, 201);
  return res.body.data;
}

/** Invites `who` by e-mail as `inviter` and accepts through the mailed link. */
export async function addMember(app: AccountsApp, workspaceSlug: string, inviter: Person, who: Person, role: 'admin' | 'member'): Promise<void> {
  const token = await invite(app, workspaceSlug, inviter, who.email, role);
  expectStatus(await app.call('POST', `/v1/invitations/${token}/accept`, { token: who.accessToken }), 200);
}

/** Sends an invitation and returns the token from the mailed link. */
export async function invite(app: AccountsApp, workspaceSlug: string, inviter: Person, email: string, role: 'admin' | 'member' = 'member'): Promise<string> {
  const before = app.smtp.messages.length;
  const res = await app.call('POST', `/v1/workspaces/${workspaceSlug}/invitations`, { token: inviter.accessToken, json: { email, role } });
  expectStatus(res, 201);
  await app.smtp.waitForMail((m) => app.smtp.messages.indexOf(m) >= before && m.to.includes(email));
  return mailedToken(app, email, '/invitations/');
}

export async function createProject(app: AccountsApp, workspaceSlug: string, admin: Person, name = 'Web'): Promise<{ id: string; workspaceId: string; name: string }> {
  const res = await app.call('POST', `/v1/workspaces/${workspaceSlug}/projects`, { token: admin.accessToken, json: { name } });
  expectStatus(res, 201);
  return res.body.data;
}

export interface CreatedKey {
  id: string;
  secret: string;
  prefix: string;
}

export async function createKey(
  app: AccountsApp,
  projectId: string,
  admin: Person,
  body: { scopes: string[]; name?: string; expiresAt?: string; allowedIps?: string[] },
): Promise<CreatedKey> {
  const res = await app.call('POST', `/v1/projects/${projectId}/keys`, { token: admin.accessToken, json: { name: 'key', ...body } });
  expectStatus(res, 201);
  return res.body.data;
}

/** An e-mail address nobody has registered. */
export function freshEmail(): string {
  return identity('invitee').email;
}

/** Owners of a workspace, straight from the table (the invariant: exactly one). */
export async function owners(app: AccountsApp, workspaceId: string): Promise<string[]> {
  const rows = await app.container.sql.db.selectFrom('workspace_members').select('user_id').where('workspace_id', '=', workspaceId).where('role', '=', 'owner').execute();
  return rows.map((r) => r.user_id);
}
