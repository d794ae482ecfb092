import type { Kysely, Selectable, Updateable } from 'kysely';
import type { Database, WorkspaceMembersTable, WorkspaceRole, WorkspacesTable } from '../../db/schema.ts';

export type WorkspaceRow = Selectable<WorkspacesTable>;
export type WorkspaceWithRole = WorkspaceRow & { role: WorkspaceRole };

export interface MemberRow {
  user_id: string;
  role: WorkspaceRole;
  created_at: number;
  handle: string;
  display_name: string | null;
}

/** Workspaces and memberships. Pass a transaction's Kysely to `withDb` to run inside it. */
export class WorkspacesRepo {
  constructor(private readonly db: Kysely<Database>) {}

  withDb(db: Kysely<Database>): WorkspacesRepo {
    return new WorkspacesRepo(db);
  }

  async insert(row: WorkspacesTable): Promise<void> {
    await this.db.insertInto('workspaces').values(row).execute();
  }

  async insertMember(row: WorkspaceMembersTable): Promise<void> {
    await this.db.insertInto('workspace_members').values(row).execute();
  }

  /** The workspace with the caller's role; undefined when it does not exist or the caller is not a member. */
  findForMember(slug: string, userId: string): Promise<WorkspaceWithRole | undefined> {
    return this.db
      .selectFrom('workspaces as w')
      .innerJoin('workspace_members as m', (j) => j.onRef('m.workspace_id', '=', 'w.id').on('m.user_id', '=', userId))
      .selectAll('w')
      .select('m.role')
      .where('w.slug', '=', slug)
      .executeTakeFirst();
  }

  findById(id: string): Promise<WorkspaceRow | undefined> {
    return this.db.selectFrom('workspaces').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Keyset page of the user's workspaces, by workspace id (creation order). */
  listForUser(userId: string, options: { after?: string | undefined; limit: number }): Promise<WorkspaceWithRole[]> {
    let q = this.db
      .selectFrom('workspaces as w')
      .innerJoin('workspace_members as m', 'm.workspace_id', 'w.id')
      .selectAll('w')
      .select('m.role')
      .where('m.user_id', '=', userId)
      .orderBy('w.id')
      .limit(options.limit);
    if (options.after) q = q.where('w.id', '>', options.after);
    return q.execute();
  }

  async update(id: string, patch: Updateable<WorkspacesTable>): Promise<void> {
    await this.db.updateTable('workspaces').set(patch).where('id', '=', id).execute();
  }

  /** Workspaces the user owns, each with its member count. */
  ownedBy(userId: string): Promise<Array<{ id: string; slug: string; members: number }>> {
    return this.db
      .selectFrom('workspace_members as o')
      .innerJoin('workspaces as w', 'w.id', 'o.workspace_id')
      .innerJoin('workspace_members as m', 'm.workspace_id', 'w.id')
      .select(['w.id', 'w.slug'])
      .select((eb) => eb.fn.countAll<number>().as('members'))
      .where('o.user_id', '=', userId)
      .where('o.role', '=', 'owner')
      .groupBy(['w.id', 'w.slug'])
      .execute()
      .then((rows) => rows.map((r) => ({ id: r.id, slug: r.slug, members: Number(r.members) })));
  }

  /** Removes the workspace; members, invitations, projects and keys cascade. */
  async delete(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('workspaces').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) === 1;
  }

  role(workspaceId: string, userId: string): Promise<WorkspaceRole | undefined> {
    return this.db
      .selectFrom('workspace_members')
      .select('role')
      .where('workspace_id', '=', workspaceId)
      .where('user_id', '=', userId)
      .executeTakeFirst()
      .then((r) => r?.role);
  }

  /** Keyset page of members by user id, with the public part of each profile. */
  listMembers(workspaceId: string, options: { after?: string | undefined; limit: number }): Promise<MemberRow[]> {
    let q = this.db
      .selectFrom('workspace_members as m')
      .innerJoin('users as u', 'u.id', 'm.user_id')
      .select(['m.user_id', 'm.role', 'm.created_at', 'u.handle', 'u.display_name'])
      .where('m.workspace_id', '=', workspaceId)
      .orderBy('m.user_id')
      .limit(options.limit);
    if (options.after) q = q.where('m.user_id', '>', options.after);
    return q.execute();
  }

  findMember(workspaceId: string, userId: string): Promise<MemberRow | undefined> {
    return this.db
      .selectFrom('workspace_members as m')
      .innerJoin('users as u', 'u.id', 'm.user_id')
      .select(['m.user_id', 'm.role', 'm.created_at', 'u.handle', 'u.display_name'])
      .where('m.workspace_id', '=', workspaceId)
      .where('m.user_id', '=', userId)
      .executeTakeFirst();
  }

  /** Whether the account registered with `email` is a member. */
  async hasMemberWithEmail(workspaceId: string, email: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('workspace_members as m')
      .innerJoin('users as u', 'u.id', 'm.user_id')
      .select('m.user_id')
      .where('m.workspace_id', '=', workspaceId)
      .where('u.email', '=', email)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Adds a member unless they already are one (then their role stays); true when added. */
  async addMemberIfAbsent(workspaceId: string, userId: string, role: Exclude<WorkspaceRole, 'owner'>, now: number): Promise<boolean> {
    const r = await this.db
      .insertInto('workspace_members')
      .values({ workspace_id: workspaceId, user_id: userId, role, created_at: now, updated_at: now })
      .onConflict((oc) => oc.columns(['workspace_id', 'user_id']).doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  /** Changes a non-owner's role; false when the user is not a member or is the owner (checked in the same statement). */
  async setRoleOfNonOwner(workspaceId: string, userId: string, role: Exclude<WorkspaceRole, 'owner'>, now: number): Promise<boolean> {
    const r = await this.db
      .updateTable('workspace_members')
      .set({ role, updated_at: now })
      .where('workspace_id', '=', workspaceId)
      .where('user_id', '=', userId)
      .where('role', '!=', 'owner')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Removes a non-owner; false when the user is not a member or is the owner. */
  async removeNonOwner(workspaceId: string, userId: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom('workspace_members')
      .where('workspace_id', '=', workspaceId)
      .where('user_id', '=', userId)
      .where('role', '!=', 'owner')
      .executeTakeFirst();
    return Number(r.numDeletedRows) === 1;
  }

  /**
   * Owner → admin, only if `userId` is the owner right now: of two racing transfers exactly
   * one sees its condition hold (the row is locked on PostgreSQL, writers are serialised
   * on SQLite), the other updates nothing.
   */
  async demoteOwner(workspaceId: string, userId: string, now: number): Promise<boolean> {
    const r = await this.db
      .updateTable('workspace_members')
      .set({ role: 'admin', updated_at: now })
      .where('workspace_id', '=', workspaceId)
      .where('user_id', '=', userId)
      .where('role', '=', 'owner')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Makes a member the owner; false when the user is not a member. Run after `demoteOwner`. */
  async promoteToOwner(workspaceId: string, userId: string, now: number): Promise<boolean> {
    const r = await this.db
      .updateTable('workspace_members')
      .set({ role: 'owner', updated_at: now })
      .where('workspace_id', '=', workspaceId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }
}
