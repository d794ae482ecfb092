import { gzipSync } from 'node:zlib';
import { identity, startAccountsApp, verifiedUser, type AccountsApp, type Stack } from '../accounts/harness.ts';
import type { ApiResponse, TestEnvelope } from '../helpers/http.ts';

export interface Project {
  id: string;
  slug: string;
}

export interface LogsApp extends AccountsApp {
  owner: Awaited<ReturnType<typeof verifiedUser>>;
  project: Project;
  /** A key of `project` with logs:write and logs:read. */
  key: string;
  /** Creates another workspace + project owned by `owner`, with a key of the given scopes. */
  newProject(scopes?: string[]): Promise<{ project: Project; key: string }>;
  /** Creates a key on a project. */
  newKey(projectId: string, scopes: string[]): Promise<string>;
  ingest(body: unknown, options?: { key?: string; headers?: Record<string, string> }): Promise<ApiResponse<TestEnvelope>>;
  ingestNdjson(lines: string[], options?: { key?: string; gzip?: boolean }): Promise<ApiResponse<TestEnvelope>>;
  query(params?: Record<string, string | number>, options?: { key?: string; token?: string; projectId?: string }): Promise<ApiResponse<TestEnvelope>>;
  /** Waits until everything ingested so far is stored. */
  drained(): Promise<void>;
}

let seq = 0;

/** A Basalt with a verified owner, a workspace, a project and a read+write log key. */
export async function startLogsApp(options: { stack?: Stack; env?: Record<string, string> } = {}): Promise<LogsApp> {
  const app = await startAccountsApp({ ...(options.stack ? { stack: options.stack } : {}), env: { LOG_RETENTION_INTERVAL_SECONDS: '3600', ...options.env } });
  try {
    const owner = await verifiedUser(app, identity('logs'));
    const newKey = async (projectId: string, scopes: string[]) => {
      const res = await app.call('POST', `/v1/projects/${projectId}/keys`, { token: owner.accessToken, json: { name: `key ${++seq}`, scopes } });
      if (res.status !== 201) throw new Error(`key: ${res.status} ${res.text}`);
      return res.body.data.secret as string;
    };
    const newProject = async (scopes = ['logs:write', 'logs:read']) => {
      const slug = `logs-${process.pid}-${++seq}-${Date.now().toString(36)}`.slice(0, 40);
      const ws = await app.call('POST', '/v1/workspaces', { token: owner.accessToken, json: { name: slug, slug } });
      if (ws.status !== 201) throw new Error(`workspace: ${ws.status} ${ws.text}`);
      const pr = await app.call('POST', `/v1/workspaces/${slug}/projects`, { token: owner.accessToken, json: { name: 'app' } });
      if (pr.status !== 201) throw new Error(`project: ${pr.status} ${pr.text}`);
      const project = { id: pr.body.data.id as string, slug };
      return { project, key: await newKey(project.id, scopes) };
    };
    const first = await newProject();
    const headersFor = (key: string | undefined) => ({ 'x-api-key': key ?? first.key });
    return {
      ...app,
      owner,
      project: first.project,
      key: first.key,
      newProject,
      newKey,
      ingest: (body, o = {}) => app.call('POST', '/v1/logs', { json: body, headers: { ...headersFor(o.key), ...o.headers } }),
      ingestNdjson: (lines, o = {}) => {
        const text = lines.join('\n');
        const headers: Record<string, string> = { ...headersFor(o.key), 'content-type': 'application/x-ndjson' };
        if (o.gzip) headers['content-encoding'] = 'gzip';
        return app.call('POST', '/v1/logs', { body: o.gzip ? gzipSync(text) : text, headers });
      },
      query: (params = {}, o = {}) => {
        const qs = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)])).toString();
        const path = `/v1/projects/${o.projectId ?? first.project.id}/logs${qs ? `?${qs}` : ''}`;
        return app.call('GET', path, o.token ? { token: o.token } : { headers: headersFor(o.key) });
      },
      drained: () => app.container.logs.drained(),
    };
  } catch (err) {
    await app.close();
    throw err;
  }
}

/** A log entry with a unique message. */
export function entry(over: Record<string, unknown> = {}): Record<string, unknown> {
  seq += 1;
  return { level: 'info', message: `entry number ${seq}`, ...over };
}
