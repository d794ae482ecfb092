import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { withTransaction } from '../../db/transaction.ts';
import { AppError } from '../../errors/index.ts';
import { newId } from '../../lib/crypto.ts';
import { uniqueViolation } from '../accounts/repo.ts';
import { pageOf, presentMember, presentWorkspace } from './present.ts';
import type { WorkspacesRepo, WorkspaceWithRole } from './repo.ts';
import { assertRole, type AssignableRole, type WorkspaceRole } from './roles.ts';
import type { Member, Page, Workspace } from './schemas.ts';
import { publishNowhere, type PublishTeamEvent } from './team-events.ts';

/** What deleting a workspace must tell the API-key cache (keys cascade away in SQL). */
export interface WorkspaceKeyCache {
  forgetWorkspace(workspaceId: string): void;
}

export interface WorkspacesDeps {
  db: Kysely<Database>;
  workspaces: WorkspacesRepo;
  /** Creating a workspace needs a verified e-mail (REQUIRE_VERIFIED_EMAIL_FOR). */
  accounts: { requireVerified(userId: string, action: string): Promise<void> };
  keyCache: WorkspaceKeyCache;
  publish?: PublishTeamEvent;
  now?: () => number;
}

const slugTaken = () => new AppError('workspace:slug_already_exists', { details: [{ field: 'slug', issue: 'already taken' }] });

/**
 * Workspaces, members and ownership. Authorization is here, on every call: a non-member
 * gets `workspace:not_found` (existence is not revealed), a member below the needed role
 * `workspace:role_insufficient`. Roles: owner > admin > member; exactly one owner.
 */
export class WorkspacesService {
  private readonly now: () => number;
  private readonly publish: PublishTeamEvent;

  constructor(private readonly deps: WorkspacesDeps) {
    this.now = deps.now ?? Date.now;
    this.publish = deps.publish ?? publishNowhere;
  }

  /** The workspace as `userId` sees it, refusing non-members (404) and roles below `atLeast` (403). */
  async access(userId: string, slug: string, atLeast: WorkspaceRole = 'member'): Promise<WorkspaceWithRole> {
    const workspace = await this.deps.workspaces.findForMember(slug.trim().toLowerCase(), userId);
    if (!workspace) throw new AppError('workspace:not_found');
    assertRole(workspace.role, atLeast);
    return workspace;
  }

  async create(userId: string, input: { name: string; slug: string }): Promise<Workspace> {
    await this.deps.accounts.requireVerified(userId, 'workspaces.create');
    const now = this.now();
    const row = { id: newId('ws'), slug: input.slug, name: input.name, created_at: now, updated_at: now };
    await withTransaction(this.deps.db, async (trx) => {
      const repo = this.deps.workspaces.withDb(trx);
      try {
        await repo.insert(row);
      } catch (err) {
        if (uniqueViolation(err) === 'slug') throw slugTaken();
        throw err;
      }
      await repo.insertMember({ workspace_id: row.id, user_id: userId, role: 'owner', created_at: now, updated_at: now });
    });
    this.publish({ type: 'workspace.member_added', workspaceId: row.id, userId, role: 'owner', via: 'create' });
    return presentWorkspace({ ...row, role: 'owner' });
  }

  async listMine(userId: string, page: Page): Promise<{ items: Workspace[]; nextCursor: string | null }> {
    const rows = await this.deps.workspaces.listForUser(userId, { after: page.cursor, limit: page.limit + 1 });
    return pageOf(rows, page.limit, (r) => r.id, presentWorkspace);
  }

  async get(userId: string, slug: string): Promise<Workspace> {
    return presentWorkspace(await this.access(userId, slug));
  }

  async update(userId: string, slug: string, patch: { name?: string | undefined; slug?: string | undefined }): Promise<Workspace> {
    const workspace = await this.access(userId, slug, 'admin');
    const now = this.now();
    const changes = { ...(patch.name !== undefined ? { name: patch.name } : {}), ...(patch.slug !== undefined ? { slug: patch.slug } : {}), updated_at: now };
    try {
      await this.deps.workspaces.update(workspace.id, changes);
    } catch (err) {
      if (uniqueViolation(err) === 'slug') throw slugTaken();
      throw err;
    }
    return presentWorkspace({ ...workspace, ...changes });
  }

  /** Owner only. Projects, keys, invitations and memberships go with it (ON DELETE CASCADE). */
  async delete(userId: string, slug: string): Promise<void> {
    const workspace = await this.access(userId, slug, 'owner');
    if (!(await this.deps.workspaces.delete(workspace.id))) throw new AppError('workspace:not_found');
    this.deps.keyCache.forgetWorkspace(workspace.id);
  }

  /**
   * Before an account is deleted: workspaces it owns alone go with it; one it owns with
   * other members would be left without an owner, so deletion waits for a transfer.
   */
  async releaseOwned(userId: string): Promise<void> {
    const owned = await this.deps.workspaces.ownedBy(userId);
    const shared = owned.filter((w) => w.members > 1);
    if (shared.length > 0) {
      throw new AppError('workspace:owner_protected', {
        message: 'Transfer ownership of your shared workspaces before deleting the account',
        details: shared.map((w) => ({ field: 'workspace', issue: `${w.slug} has other members` })),
      });
    }
    for (const w of owned) {
      await this.deps.workspaces.delete(w.id);
      this.deps.keyCache.forgetWorkspace(w.id);
    }
  }

  async members(userId: string, slug: string, page: Page): Promise<{ items: Member[]; nextCursor: string | null }> {
    const workspace = await this.access(userId, slug);
    const rows = await this.deps.workspaces.listMembers(workspace.id, { after: page.cursor, limit: page.limit + 1 });
    return pageOf(rows, page.limit, (r) => r.user_id, presentMember);
  }

  /** Admin. Nobody changes the owner's role: ownership moves only by transfer. */
  async changeRole(userId: string, slug: string, targetId: string, role: AssignableRole): Promise<Member> {
    const workspace = await this.access(userId, slug, 'admin');
    await this.mustBeNonOwnerMember(workspace.id, targetId);
    if (!(await this.deps.workspaces.setRoleOfNonOwner(workspace.id, targetId, role, this.now()))) {
      // Removed or made owner between the read and the write.
      await this.mustBeNonOwnerMember(workspace.id, targetId);
    }
    const member = await this.deps.workspaces.findMember(workspace.id, targetId);
    if (!member) throw new AppError('workspace:member_not_found');
    return presentMember(member);
  }

  /**
   * Removing someone else needs admin; anyone may remove themselves (leave). The owner can
   * be removed by nobody, themselves included: they transfer ownership first.
   */
  async removeMember(userId: string, slug: string, targetId: string): Promise<void> {
    const leaving = targetId === userId;
    const workspace = await this.access(userId, slug, leaving ? 'member' : 'admin');
    await this.mustBeNonOwnerMember(workspace.id, targetId);
    if (!(await this.deps.workspaces.removeNonOwner(workspace.id, targetId))) await this.mustBeNonOwnerMember(workspace.id, targetId);
  }

  /**
   * Owner only. Demoting the caller (only while they are the owner) and promoting the
   * target happen in one transaction, so of two racing transfers one wins and the other
   * finds the caller no longer owner; a partial unique index backs the invariant.
   */
  async transfer(userId: string, slug: string, targetId: string): Promise<{ owner: Member; previousOwner: Member }> {
    const workspace = await this.access(userId, slug);
    if (workspace.role !== 'owner') throw new AppError('workspace:owner_only');
    if (targetId === userId) throw new AppError('general:validation_error', { details: [{ field: 'userId', issue: 'already the owner' }] });
    const now = this.now();
    await withTransaction(this.deps.db, async (trx) => {
      const repo = this.deps.workspaces.withDb(trx);
      if (!(await repo.demoteOwner(workspace.id, userId, now))) throw new AppError('workspace:owner_only');
      if (!(await repo.promoteToOwner(workspace.id, targetId, now))) throw new AppError('workspace:member_not_found');
    });
    const [owner, previousOwner] = await Promise.all([this.deps.workspaces.findMember(workspace.id, targetId), this.deps.workspaces.findMember(workspace.id, userId)]);
    if (!owner || !previousOwner) throw new AppError('workspace:member_not_found');
    return { owner: presentMember(owner), previousOwner: presentMember(previousOwner) };
  }

  private async mustBeNonOwnerMember(workspaceId: string, targetId: string): Promise<void> {
    const role = await this.deps.workspaces.role(workspaceId, targetId);
    if (role === undefined) throw new AppError('workspace:member_not_found');
    if (role === 'owner') throw new AppError('workspace:owner_protected');
  }
}
