import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { withTransaction } from '../../db/transaction.ts';
import { AppError } from '../../errors/index.ts';
import { newId, randomToken, sha256 } from '../../lib/crypto.ts';
import type { Logger } from '../../lib/logger.ts';
import type { UsersRepo } from '../accounts/repo.ts';
import type { Mailer } from '../mail/mailer.ts';
import type { InvitationsRepo } from './invitations-repo.ts';
import { pageOf, presentInvitation, presentWorkspace } from './present.ts';
import type { AssignableRole } from './roles.ts';
import type { Invitation, Page, Workspace } from './schemas.ts';
import type { WorkspacesService } from './service.ts';
import type { WorkspacesRepo } from './repo.ts';
import { publishNowhere, type PublishTeamEvent } from './team-events.ts';

export const INVITATION_TTL_MS = 7 * 24 * 3600 * 1000;

export interface InvitationsDeps {
  db: Kysely<Database>;
  invitations: InvitationsRepo;
  workspaces: WorkspacesRepo;
  access: Pick<WorkspacesService, 'access'>;
  users: UsersRepo;
  mailer: Mailer;
  logger: Logger;
  ttlMs?: number;
  publish?: PublishTeamEvent;
  now?: () => number;
}

/**
 * Invitations by e-mail. The mailed token is 256 random bits; only its SHA-256 is stored.
 * Single use: acceptance is a conditional UPDATE (still pending, not expired), so of N
 * concurrent accepts exactly one joins the workspace. A new invitation to the same address
 * revokes the pending one, so only the newest link works.
 */
export class InvitationsService {
  private readonly now: () => number;
  private readonly publish: PublishTeamEvent;

  constructor(private readonly deps: InvitationsDeps) {
    this.now = deps.now ?? Date.now;
    this.publish = deps.publish ?? publishNowhere;
  }

  /** Admin. Mails the link; if the mail cannot be sent the invitation is withdrawn and the send error returned. */
  async invite(userId: string, slug: string, input: { email: string; role: AssignableRole }): Promise<Invitation> {
    const workspace = await this.deps.access.access(userId, slug, 'admin');
    if (await this.deps.workspaces.hasMemberWithEmail(workspace.id, input.email)) {
      throw new AppError('workspace:already_member', { details: [{ field: 'email', issue: 'already a member' }] });
    }
    const inviter = await this.deps.users.findById(userId);
    if (!inviter) throw new AppError('session:not_found');
    const token = randomToken(32);
    const now = this.now();
    const row = {
      id: newId('inv'),
      workspace_id: workspace.id,
      email: input.email,
      role: input.role,
      token_hash: sha256(token),
      invited_by: userId,
      created_at: now,
      expires_at: now + (this.deps.ttlMs ?? INVITATION_TTL_MS),
      accepted_at: null,
      accepted_by: null,
      revoked_at: null,
    };
    await withTransaction(this.deps.db, async (trx) => {
      const repo = this.deps.invitations.withDb(trx);
      await repo.revokePendingFor(workspace.id, input.email, now);
      await repo.insert(row);
    });
    try {
      await this.deps.mailer.send('invitation', input.email, { token, workspaceName: workspace.name, inviterHandle: inviter.handle, role: input.role });
    } catch (err) {
      await this.deps.invitations.revoke(workspace.id, row.id, this.now()).catch((e: unknown) => this.deps.logger.warn({ err: e, invitationId: row.id }, 'could not withdraw an unsent invitation'));
      throw err;
    }
    return presentInvitation(row);
  }

  async listPending(userId: string, slug: string, page: Page): Promise<{ items: Invitation[]; nextCursor: string | null }> {
    const workspace = await this.deps.access.access(userId, slug, 'admin');
    const rows = await this.deps.invitations.listPending(workspace.id, this.now(), { after: page.cursor, limit: page.limit + 1 });
    return pageOf(rows, page.limit, (r) => r.id, presentInvitation);
  }

  async revoke(userId: string, slug: string, invitationId: string): Promise<void> {
    const workspace = await this.deps.access.access(userId, slug, 'admin');
    if (!(await this.deps.invitations.revoke(workspace.id, invitationId, this.now()))) throw new AppError('invitation:not_found');
  }

  /**
   * Joins the workspace with the invited role. The account must be verified and own the
   * invited address; those checks come before the token is spent, so a wrong account does
   * not burn the invitation. Someone already a member keeps their role.
   */
  async accept(userId: string, token: string): Promise<{ workspace: Workspace }> {
    const now = this.now();
    const invitation = await this.deps.invitations.findByHash(sha256(token));
    if (!invitation || invitation.accepted_at !== null || invitation.revoked_at !== null) throw new AppError('invitation:invalid');
    if (invitation.expires_at <= now) throw new AppError('invitation:expired');
    const user = await this.deps.users.findById(userId);
    if (!user) throw new AppError('session:not_found');
    if (user.email_verified_at === null) throw new AppError('user:not_verified');
    if (user.email !== invitation.email) throw new AppError('invitation:email_mismatch');
    const added = await withTransaction(this.deps.db, async (trx) => {
      if (!(await this.deps.invitations.withDb(trx).consume(invitation.id, userId, now))) throw new AppError('invitation:invalid');
      return this.deps.workspaces.withDb(trx).addMemberIfAbsent(invitation.workspace_id, userId, invitation.role, now);
    });
    if (added) this.publish({ type: 'workspace.member_added', workspaceId: invitation.workspace_id, userId, role: invitation.role, via: 'invitation' });
    const workspace = await this.deps.workspaces.findById(invitation.workspace_id);
    const role = await this.deps.workspaces.role(invitation.workspace_id, userId);
    // Deleted, or the member removed, in the instant since: the invitation did its job.
    if (!workspace || !role) throw new AppError('workspace:not_found');
    return { workspace: presentWorkspace({ ...workspace, role }) };
  }
}
