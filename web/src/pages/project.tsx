import { useState } from 'react';
import { api } from '../api.ts';
import type { Schemas } from '../../../src/client/index.ts';
import { useAction, useAsync, usePaged } from '../hooks.ts';
import { Link, navigate } from '../router.tsx';
import { Badge, Button, Card, ConfirmButton, CopyButton, Empty, ErrorNotice, Field, Form, Loading, Notice, PageTitle, formatDate } from '../ui.tsx';

type Scope = Schemas['ApiKey']['scopes'][number];
const SCOPES: { id: Scope; label: string }[] = [
  { id: 'logs:write', label: 'logs:write — send logs' },
  { id: 'logs:read', label: 'logs:read — query and tail logs' },
  { id: 'posts:read', label: 'posts:read' },
  { id: 'posts:write', label: 'posts:write' },
];

function NewKey({ projectId, onCreated }: { projectId: string; onCreated: () => void }) {
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<Scope[]>(['logs:write']);
  const [expiresAt, setExpiresAt] = useState('');
  const [ips, setIps] = useState('');
  const [created, setCreated] = useState<Schemas['CreatedApiKey'] | null>(null);
  const action = useAction(async () => {
    const allowed = ips
      .split(/[\s,]+/)
      .map((s) => s.trim())
      .filter(Boolean);
    const key = await api.post('/v1/projects/{id}/keys', {
      params: { id: projectId },
      body: { name: name.trim(), scopes, expiresAt: expiresAt ? new Date(expiresAt).toISOString() : null, allowedIps: allowed.length > 0 ? allowed : null },
    });
    setCreated(key);
    setName('');
    onCreated();
  });
  const toggle = (s: Scope) => setScopes((list) => (list.includes(s) ? list.filter((x) => x !== s) : [...list, s]));
  return (
    <Card title="New API key">
      {created && (
        <div className="secret-once" data-testid="new-key">
          <Notice kind="warning">
            Copy the key <strong>{created.name}</strong> now: it is shown only this once.
          </Notice>
          <div className="secret-row">
            <code className="secret" data-testid="api-key-secret">
              {created.secret}
            </code>
            <CopyButton text={created.secret} />
          </div>
          <Button variant="ghost" onClick={() => setCreated(null)}>
            Done, I saved it
          </Button>
        </div>
      )}
      <Form onSubmit={() => void action.run()} submitLabel="Create key" busy={action.busy} error={action.error}>
        <Field label="Key name" name="keyName" value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. production web" required />
        <fieldset className="field">
          <legend className="field-label">Scopes</legend>
          {SCOPES.map((s) => (
            <label key={s.id} className="check">
              <input type="checkbox" name={`scope-${s.id}`} checked={scopes.includes(s.id)} onChange={() => toggle(s.id)} /> {s.label}
            </label>
          ))}
        </fieldset>
        <Field label="Expires (optional)" name="keyExpires" type="datetime-local" value={expiresAt} onChange={(e) => setExpiresAt(e.target.value)} />
        <Field label="Allowed IPs (optional)" name="keyIps" value={ips} onChange={(e) => setIps(e.target.value)} placeholder="203.0.113.0/24, 198.51.100.7" hint="Comma-separated IPs or CIDR ranges; empty allows any." />
      </Form>
    </Card>
  );
}

function Keys({ projectId }: { projectId: string }) {
  const list = usePaged((cursor, signal) => api.page('/v1/projects/{id}/keys', { params: { id: projectId }, query: { cursor, limit: 50 }, signal }), [projectId]);
  const revoke = useAction(async (keyId: string) => {
    await api.delete('/v1/projects/{id}/keys/{keyId}', { params: { id: projectId, keyId } });
    list.reload();
  });
  return (
    <div className="grid">
      <NewKey projectId={projectId} onCreated={list.reload} />
      <Card title="API keys">
        <ErrorNotice error={list.error ?? revoke.error} />
        {!list.loading && !list.error && list.items.length === 0 && <Empty>No keys yet. Create one to send logs from your app.</Empty>}
        <ul className="list">
          {list.items.map((k) => (
            <li key={k.id} className="row-between wrap" data-testid={`key-${k.name}`}>
              <div>
                <strong>{k.name}</strong> <code>{k.prefix}…</code>
                <div className="row wrap">
                  {k.scopes.map((s) => (
                    <Badge key={s} tone="info">
                      {s}
                    </Badge>
                  ))}
                  {k.allowedIps && <Badge>IPs: {k.allowedIps.join(', ')}</Badge>}
                </div>
                <div className="muted small">
                  created {formatDate(k.createdAt)} · last used {formatDate(k.lastUsedAt)}
                  {k.expiresAt && <> · expires {formatDate(k.expiresAt)}</>}
                </div>
              </div>
              <ConfirmButton busy={revoke.busy} onConfirm={() => void revoke.run(k.id)} confirmLabel="Revoke now">
                Revoke
              </ConfirmButton>
            </li>
          ))}
        </ul>
        {list.loading && <Loading />}
        {list.hasMore && (
          <Button variant="secondary" onClick={list.loadMore}>
            Load more
          </Button>
        )}
      </Card>
    </div>
  );
}

function LogRetention({ projectId }: { projectId: string }) {
  const settings = useAsync(() => api.get('/v1/projects/{id}/logs/settings', { params: { id: projectId } }), [projectId]);
  const [days, setDays] = useState('');
  const save = useAction(async () => settings.setData(await api.patch('/v1/projects/{id}/logs/settings', { params: { id: projectId }, body: { retentionDays: Number(days) } })));
  return (
    <Card title="Log retention">
      {settings.loading && <Loading />}
      <ErrorNotice error={settings.error} />
      {settings.data && (
        <Form onSubmit={() => void save.run()} submitLabel="Save retention" busy={save.busy} error={save.error}>
          <Field
            label="Keep logs for (days)"
            name="retentionDays"
            type="number"
            min={1}
            max={3650}
            value={days || String(settings.data.retentionDays)}
            onChange={(e) => setDays(e.target.value)}
            hint="Older entries are deleted by the retention job."
          />
        </Form>
      )}
    </Card>
  );
}

function ProjectSettings({ project, slug, onRenamed }: { project: Schemas['Project']; slug: string; onRenamed: (p: Schemas['Project']) => void }) {
  const [name, setName] = useState(project.name);
  const rename = useAction(async () => onRenamed(await api.patch('/v1/projects/{id}', { params: { id: project.id }, body: { name: name.trim() } })));
  const del = useAction(async () => {
    await api.delete('/v1/projects/{id}', { params: { id: project.id } });
    navigate(`/workspaces/${encodeURIComponent(slug)}`, { replace: true });
  });
  return (
    <div className="grid">
      <Card title="Rename">
        <Form onSubmit={() => void rename.run()} submitLabel="Save" busy={rename.busy} error={rename.error}>
          <Field label="Project name" name="renameProject" value={name} onChange={(e) => setName(e.target.value)} />
        </Form>
      </Card>
      <LogRetention projectId={project.id} />
      <Card title="Delete project">
        <p className="muted">Deletes the project with its API keys and logs.</p>
        <ConfirmButton busy={del.busy} onConfirm={() => void del.run()} confirmLabel="Delete for good">
          Delete project
        </ConfirmButton>
        <ErrorNotice error={del.error} />
      </Card>
    </div>
  );
}

export function ProjectPage({ slug, id }: { slug: string; id: string }) {
  const project = useAsync(() => api.get('/v1/projects/{id}', { params: { id } }), [id]);
  const workspace = useAsync(() => api.get('/v1/workspaces/{slug}', { params: { slug } }), [slug]);
  if (project.loading || workspace.loading) return <Loading />;
  if (project.error || !project.data) return <ErrorNotice error={project.error} />;
  const p = project.data;
  const canAdmin = workspace.data?.role === 'owner' || workspace.data?.role === 'admin';
  return (
    <div>
      <PageTitle
        subtitle={
          <>
            <Link to={`/workspaces/${encodeURIComponent(slug)}`}>{workspace.data?.name ?? slug}</Link> · project <code>{p.id}</code>
          </>
        }
        actions={
          <Link to={`/workspaces/${encodeURIComponent(slug)}/projects/${encodeURIComponent(p.id)}/logs`} className="btn btn-primary">
            Open logs
          </Link>
        }
      >
        {p.name}
      </PageTitle>
      {canAdmin ? <Keys projectId={p.id} /> : <Notice>API keys are managed by the workspace's admins.</Notice>}
      {canAdmin && <ProjectSettings project={p} slug={slug} onRenamed={(next) => project.setData(next)} />}
    </div>
  );
}
