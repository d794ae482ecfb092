import { AppError } from '../../errors/index.ts';
import { newId } from '../../lib/crypto.ts';
import { pageOf } from '../workspaces/present.ts';
import { assertRole, type WorkspaceRole } from '../workspaces/roles.ts';
import type { Page } from '../workspaces/schemas.ts';
import type { WorkspacesService } from '../workspaces/service.ts';
import type { ProjectRow, ProjectsRepo, ProjectWithRole } from './repo.ts';
import type { Project } from './schemas.ts';

/** What deleting a project must tell the API-key cache (keys cascade away in SQL). */
export interface ProjectKeyCache {
  forgetProject(projectId: string): void;
}

export interface ProjectsDeps {
  projects: ProjectsRepo;
  workspaces: Pick<WorkspacesService, 'access'>;
  keyCache: ProjectKeyCache;
  now?: () => number;
}

export function presentProject(p: ProjectRow): Project {
  return { id: p.id, workspaceId: p.workspace_id, name: p.name, createdAt: new Date(p.created_at).toISOString(), updatedAt: new Date(p.updated_at).toISOString() };
}

/**
 * Projects inside a workspace. Members read; admins create, rename and delete. A project
 * the caller cannot see (missing, or in a workspace they are not in) is `project:not_found`.
 */
export class ProjectsService {
  private readonly now: () => number;

  constructor(private readonly deps: ProjectsDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** The project as `userId` sees it: 404 for non-members, 403 below `atLeast`. */
  async access(userId: string, projectId: string, atLeast: WorkspaceRole = 'member'): Promise<ProjectWithRole> {
    const project = await this.deps.projects.findForMember(projectId, userId);
    if (!project) throw new AppError('project:not_found');
    assertRole(project.role, atLeast);
    return project;
  }

  /** For routes that a member or a project key may call (see http/api-key-auth.ts). */
  async requireMember(userId: string, projectId: string): Promise<void> {
    await this.access(userId, projectId);
  }

  async create(userId: string, slug: string, input: { name: string }): Promise<Project> {
    const workspace = await this.deps.workspaces.access(userId, slug, 'admin');
    const now = this.now();
    const row = { id: newId('prj'), workspace_id: workspace.id, name: input.name, created_at: now, updated_at: now };
    await this.deps.projects.insert(row);
    return presentProject(row);
  }

  async list(userId: string, slug: string, page: Page): Promise<{ items: Project[]; nextCursor: string | null }> {
    const workspace = await this.deps.workspaces.access(userId, slug);
    const rows = await this.deps.projects.listForWorkspace(workspace.id, { after: page.cursor, limit: page.limit + 1 });
    return pageOf(rows, page.limit, (r) => r.id, presentProject);
  }

  async get(userId: string, projectId: string): Promise<Project> {
    return presentProject(await this.access(userId, projectId));
  }

  async rename(userId: string, projectId: string, input: { name: string }): Promise<Project> {
    const project = await this.access(userId, projectId, 'admin');
    const now = this.now();
    await this.deps.projects.rename(project.id, input.name, now);
    return presentProject({ ...project, name: input.name, updated_at: now });
  }

  async delete(userId: string, projectId: string): Promise<void> {
    const project = await this.access(userId, projectId, 'admin');
    if (!(await this.deps.projects.delete(project.id))) throw new AppError('project:not_found');
    this.deps.keyCache.forgetProject(project.id);
  }
}
