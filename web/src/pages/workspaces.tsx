import { useState } from 'react';
import { api } from '../api.ts';
import { useUser } from '../auth.ts';
import { useAction, useAsync, usePaged } from '../hooks.ts';
import { Link, navigate } from '../router.tsx';
import { Badge, Button, Card, Empty, ErrorNotice, Field, Form, Loading, PageTitle, Tabs } from '../ui.tsx';
import { InvitationsTab, MembersTab, SettingsTab } from './workspace-tabs.tsx';

const slugify = (name: string) =>
  name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48);

function CreateWorkspace() {
  const user = useUser();
  const [name, setName] = useState('');
  const [slug, setSlug] = useState('');
  const [slugEdited, setSlugEdited] = useState(false);
  const action = useAction(async () => {
    const w = await api.post('/v1/workspaces', { body: { name: name.trim(), slug: slug.trim() } });
    navigate(`/workspaces/${encodeURIComponent(w.slug)}`);
  });
  return (
    <Card title="New workspace">
      {user && !user.emailVerified && <p className="muted small">Creating a workspace needs a verified e-mail address.</p>}
      <Form onSubmit={() => void action.run()} submitLabel="Create workspace" busy={action.busy} error={action.error}>
        <Field
          label="Name"
          name="workspaceName"
          value={name}
          onChange={(e) => {
            setName(e.target.value);
            if (!slugEdited) setSlug(slugify(e.target.value));
          }}
          required
        />
        <Field
          label="Slug"
          name="workspaceSlug"
          value={slug}
          onChange={(e) => {
            setSlug(e.target.value);
            setSlugEdited(true);
          }}
          hint="Lowercase letters, digits and dashes; used in URLs."
          required
        />
      </Form>
    </Card>
  );
}

export function WorkspacesPage() {
  const list = usePaged((cursor, signal) => api.page('/v1/workspaces', { query: { cursor, limit: 50 }, signal }), []);
  return (
    <div>
      <PageTitle subtitle="Teams share projects, API keys and logs.">Workspaces</PageTitle>
      <div className="grid">
        <Card title="Your workspaces">
          <ErrorNotice error={list.error} />
          {!list.loading && list.items.length === 0 && !list.error && <Empty>You are not in any workspace yet. Create one, or accept an invitation from your mail.</Empty>}
          <ul className="list">
            {list.items.map((w) => (
              <li key={w.id} className="row-between">
                <Link to={`/workspaces/${encodeURIComponent(w.slug)}`}>
                  <strong>{w.name}</strong> <span className="muted">/{w.slug}</span>
                </Link>
                <Badge>{w.role}</Badge>
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
        <CreateWorkspace />
      </div>
    </div>
  );
}

function ProjectsTab({ slug, canAdmin }: { slug: string; canAdmin: boolean }) {
  const list = usePaged((cursor, signal) => api.page('/v1/workspaces/{slug}/projects', { params: { slug }, query: { cursor, limit: 50 }, signal }), [slug]);
  const [name, setName] = useState('');
  const create = useAction(async () => {
    const p = await api.post('/v1/workspaces/{slug}/projects', { params: { slug }, body: { name: name.trim() } });
    navigate(`/workspaces/${encodeURIComponent(slug)}/projects/${encodeURIComponent(p.id)}`);
  });
  return (
    <div className="grid">
      <Card title="Projects">
        <ErrorNotice error={list.error} />
        {!list.loading && list.items.length === 0 && !list.error && <Empty>No projects yet.{canAdmin ? ' Create the first one.' : ''}</Empty>}
        <ul className="list">
          {list.items.map((p) => (
            <li key={p.id} className="row-between">
              <Link to={`/workspaces/${encodeURIComponent(slug)}/projects/${encodeURIComponent(p.id)}`}>
                <strong>{p.name}</strong>
              </Link>
              <Link to={`/workspaces/${encodeURIComponent(slug)}/projects/${encodeURIComponent(p.id)}/logs`} className="small">
                Logs
              </Link>
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
      {canAdmin && (
        <Card title="New project">
          <Form onSubmit={() => void create.run()} submitLabel="Create project" busy={create.busy} error={create.error}>
            <Field label="Project name" name="projectName" value={name} onChange={(e) => setName(e.target.value)} required />
          </Form>
        </Card>
      )}
    </div>
  );
}

type Tab = 'projects' | 'members' | 'invitations' | 'settings';

export function WorkspacePage({ slug }: { slug: string }) {
  const ws = useAsync(() => api.get('/v1/workspaces/{slug}', { params: { slug } }), [slug]);
  const [tab, setTab] = useState<Tab>('projects');
  if (ws.loading) return <Loading />;
  if (ws.error || !ws.data) return <ErrorNotice error={ws.error} />;
  const w = ws.data;
  const canAdmin = w.role === 'owner' || w.role === 'admin';
  const tabs: { id: Tab; label: string }[] = [
    { id: 'projects', label: 'Projects' },
    { id: 'members', label: 'Members' },
    ...(canAdmin ? [{ id: 'invitations' as const, label: 'Invitations' }] : []),
    { id: 'settings', label: 'Settings' },
  ];
  return (
    <div>
      <PageTitle subtitle={<>/{w.slug} · you are {w.role}</>}>{w.name}</PageTitle>
      <Tabs tabs={tabs} value={tab} onChange={setTab} />
      {tab === 'projects' && <ProjectsTab slug={w.slug} canAdmin={canAdmin} />}
      {tab === 'members' && <MembersTab workspace={w} />}
      {tab === 'invitations' && <InvitationsTab slug={w.slug} />}
      {tab === 'settings' && <SettingsTab workspace={w} onChanged={(next) => (next.slug !== w.slug ? navigate(`/workspaces/${encodeURIComponent(next.slug)}`, { replace: true }) : ws.setData(next))} />}
    </div>
  );
}
