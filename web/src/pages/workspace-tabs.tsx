import { useState } from 'react';
import { api } from '../api.ts';
import type { Schemas } from '../../../src/client/index.ts';
import { useUser } from '../auth.ts';
import { useAction, usePaged } from '../hooks.ts';
import { navigate } from '../router.tsx';
import { Badge, Button, Card, ConfirmButton, Empty, ErrorNotice, Field, Form, Loading, Notice, Select, formatDate } from '../ui.tsx';

type Workspace = Schemas['Workspace'];
type Member = Schemas['WorkspaceMember'];

function useMembers(slug: string) {
  return usePaged((cursor, signal) => api.page('/v1/workspaces/{slug}/members', { params: { slug }, query: { cursor, limit: 100 }, signal }), [slug]);
}

export function MembersTab({ workspace }: { workspace: Workspace }) {
  const me = useUser();
  const members = useMembers(workspace.slug);
  const canAdmin = workspace.role === 'owner' || workspace.role === 'admin';
  const setRole = useAction(async (m: Member, role: 'admin' | 'member') => {
    await api.patch('/v1/workspaces/{slug}/members/{userId}', { params: { slug: workspace.slug, userId: m.userId }, body: { role } });
    members.reload();
  });
  const remove = useAction(async (m: Member) => {
    await api.delete('/v1/workspaces/{slug}/members/{userId}', { params: { slug: workspace.slug, userId: m.userId === me?.id ? 'me' : m.userId } });
    if (m.userId === me?.id) navigate('/workspaces');
    else members.reload();
  });
  return (
    <Card title="Members">
      <ErrorNotice error={members.error ?? setRole.error ?? remove.error} />
      <ul className="list">
        {members.items.map((m) => {
          const self = m.userId === me?.id;
          return (
            <li key={m.userId} className="row-between wrap" data-testid={`member-${m.handle}`}>
              <div>
                <strong>@{m.handle}</strong> {m.displayName && <span className="muted">{m.displayName}</span>} <Badge tone={m.role === 'owner' ? 'info' : 'neutral'}>{m.role}</Badge>
                {self && <Badge tone="good">you</Badge>}
                <div className="muted small">joined {formatDate(m.joinedAt)}</div>
              </div>
              <div className="row wrap">
                {canAdmin && m.role !== 'owner' && !self && (
                  <Button variant="secondary" busy={setRole.busy} onClick={() => void setRole.run(m, m.role === 'admin' ? 'member' : 'admin')}>
                    {m.role === 'admin' ? 'Make member' : 'Make admin'}
                  </Button>
                )}
                {m.role !== 'owner' && (self || canAdmin) && (
                  <ConfirmButton busy={remove.busy} onConfirm={() => void remove.run(m)}>
                    {self ? 'Leave workspace' : 'Remove'}
                  </ConfirmButton>
                )}
              </div>
            </li>
          );
        })}
      </ul>
      {members.loading && <Loading />}
      {members.hasMore && (
        <Button variant="secondary" onClick={members.loadMore}>
          Load more
        </Button>
      )}
    </Card>
  );
}

export function InvitationsTab({ slug }: { slug: string }) {
  const list = usePaged((cursor, signal) => api.page('/v1/workspaces/{slug}/invitations', { params: { slug }, query: { cursor, limit: 50 }, signal }), [slug]);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<'member' | 'admin'>('member');
  const [sent, setSent] = useState<string | null>(null);
  const invite = useAction(async () => {
    const inv = await api.post('/v1/workspaces/{slug}/invitations', { params: { slug }, body: { email: email.trim(), role } });
    setSent(inv.email);
    setEmail('');
    list.reload();
  });
  const revoke = useAction(async (id: string) => {
    await api.delete('/v1/workspaces/{slug}/invitations/{id}', { params: { slug, id } });
    list.reload();
  });
  return (
    <div className="grid">
      <Card title="Invite someone">
        <Form onSubmit={() => void invite.run()} submitLabel="Send invitation" busy={invite.busy} error={invite.error}>
          <Field label="E-mail" name="inviteEmail" type="email" value={email} onChange={(e) => setEmail(e.target.value)} required />
          <Select label="Role" name="inviteRole" value={role} onChange={(e) => setRole(e.target.value as 'member' | 'admin')}>
            <option value="member">member</option>
            <option value="admin">admin</option>
          </Select>
          {sent && <Notice kind="success">Invitation sent to {sent}. The link works once, for 7 days.</Notice>}
        </Form>
      </Card>
      <Card title="Pending invitations">
        <ErrorNotice error={list.error ?? revoke.error} />
        {!list.loading && list.items.length === 0 && <Empty>No pending invitations.</Empty>}
        <ul className="list">
          {list.items.map((i) => (
            <li key={i.id} className="row-between wrap">
              <div>
                {i.email} <Badge>{i.role}</Badge>
                <div className="muted small">expires {formatDate(i.expiresAt)}</div>
              </div>
              <ConfirmButton busy={revoke.busy} onConfirm={() => void revoke.run(i.id)}>
                Revoke
              </ConfirmButton>
            </li>
          ))}
        </ul>
        {list.loading && <Loading />}
      </Card>
    </div>
  );
}

function TransferOwnership({ workspace }: { workspace: Workspace }) {
  const me = useUser();
  const members = useMembers(workspace.slug);
  const [userId, setUserId] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const transfer = useAction(async () => {
    const r = await api.post('/v1/workspaces/{slug}/transfer', { params: { slug: workspace.slug }, body: { userId } });
    setDone(r.owner.handle);
  });
  const candidates = members.items.filter((m) => m.userId !== me?.id);
  if (done) return <Notice kind="success">@{done} now owns this workspace; you are an admin. Reload to see your new role.</Notice>;
  return (
    <Card title="Transfer ownership">
      <p className="muted">The new owner must already be a member. You become an admin.</p>
      {candidates.length === 0 && !members.loading ? (
        <Empty>Invite someone first: there is no other member to transfer to.</Empty>
      ) : (
        <Form onSubmit={() => void transfer.run()} submitLabel="Transfer ownership" busy={transfer.busy} error={transfer.error}>
          <Select label="New owner" value={userId} onChange={(e) => setUserId(e.target.value)}>
            <option value="">Choose a member…</option>
            {candidates.map((m) => (
              <option key={m.userId} value={m.userId}>
                @{m.handle} ({m.role})
              </option>
            ))}
          </Select>
        </Form>
      )}
    </Card>
  );
}

export function SettingsTab({ workspace, onChanged }: { workspace: Workspace; onChanged: (w: Workspace) => void }) {
  const [name, setName] = useState(workspace.name);
  const [slug, setSlug] = useState(workspace.slug);
  const canAdmin = workspace.role === 'owner' || workspace.role === 'admin';
  const save = useAction(async () => onChanged(await api.patch('/v1/workspaces/{slug}', { params: { slug: workspace.slug }, body: { name: name.trim(), slug: slug.trim() } })));
  const del = useAction(async () => {
    await api.delete('/v1/workspaces/{slug}', { params: { slug: workspace.slug } });
    navigate('/workspaces', { replace: true });
  });
  return (
    <div className="grid">
      {canAdmin ? (
        <Card title="General">
          <Form onSubmit={() => void save.run()} submitLabel="Save" busy={save.busy} error={save.error}>
            <Field label="Name" name="settingsName" value={name} onChange={(e) => setName(e.target.value)} />
            <Field label="Slug" name="settingsSlug" value={slug} onChange={(e) => setSlug(e.target.value)} />
          </Form>
        </Card>
      ) : (
        <Card title="General">
          <p className="muted">Only admins change the workspace's name and slug.</p>
        </Card>
      )}
      {workspace.role === 'owner' && <TransferOwnership workspace={workspace} />}
      {workspace.role === 'owner' && (
        <Card title="Delete workspace">
          <p className="muted">Deletes the workspace with its projects, API keys and logs.</p>
          <ConfirmButton busy={del.busy} onConfirm={() => void del.run()} confirmLabel={`Delete ${workspace.slug}`}>
            Delete workspace
          </ConfirmButton>
          <ErrorNotice error={del.error} />
        </Card>
      )}
    </div>
  );
}
