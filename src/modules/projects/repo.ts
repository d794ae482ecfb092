import type { Kysely, Selectable } from 'kysely';
import type { Database, ProjectsTable, WorkspaceRole } from '../../db/schema.ts';

export type ProjectRow = Selectable<ProjectsTable>;
export type ProjectWithRole = ProjectRow & { role: WorkspaceRole };

export class ProjectsRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: ProjectsTable): Promise<void> {
    await this.db.insertInto('projects').values(row).execute();
  }

  /** The project with the caller's role in its workspace; undefined when missing or not a member. */
  findForMember(projectId: string, userId: string): Promise<ProjectWithRole | undefined> {
    return this.db
      .selectFrom('projects as p')
      .innerJoin('workspace_members as m', (j) => j.onRef('m.workspace_id', '=', 'p.workspace_id').on('m.user_id', '=', userId))
      .selectAll('p')
      .select('m.role')
      .where('p.id', '=', projectId)
      .executeTakeFirst();
  }

  listForWorkspace(workspaceId: string, options: { after?: string | undefined; limit: number }): Promise<ProjectRow[]> {
    let q = this.db.selectFrom('projects').selectAll().where('workspace_id', '=', workspaceId).orderBy('id').limit(options.limit);
    if (options.after) q = q.where('id', '>', options.after);
    return q.execute();
  }

  async rename(id: string, name: string, now: number): Promise<void> {
    await this.db.updateTable('projects').set({ name, updated_at: now }).where('id', '=', id).execute();
  }

  /** Removes the project; its keys (and later its logs) cascade. */
  async delete(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('projects').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) === 1;
  }
}
