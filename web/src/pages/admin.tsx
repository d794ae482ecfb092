import { useEffect, useState } from 'react';
import { api, type ApiError } from '../api.ts';
import type { Schemas } from '../../../src/client/index.ts';
import { useUser } from '../auth.ts';
import { useAction, useDebounced } from '../hooks.ts';
import { Badge, Button, Card, Empty, ErrorNotice, Loading, Notice, PageTitle, Select, formatDate } from '../ui.tsx';
import { asApiError } from '../api.ts';

type AdminUser = Schemas['AdminUser'];

function UserRow({ user, onChange }: { user: AdminUser; onChange: (u: AdminUser) => void }) {
  const [reason, setReason] = useState('');
  const [sent, setSent] = useState(false);
  const role = useAction(async () => onChange(await api.patch('/v1/admin/users/{id}', { params: { id: user.id }, body: { role: user.role === 'admin' ? 'user' : 'admin' } })));
  const ban = useAction(async () =>
    onChange(user.banned ? await api.delete('/v1/admin/users/{id}/ban', { params: { id: user.id } }) : await api.post('/v1/admin/users/{id}/ban', { params: { id: user.id }, body: reason.trim() ? { reason: reason.trim() } : {} })),
  );
  const reset = useAction(async () => {
    await api.post('/v1/admin/users/{id}/password-reset', { params: { id: user.id } });
    setSent(true);
  });
  return (
    <tr data-testid={`user-${user.handle}`}>
      <td>
        <strong>@{user.handle}</strong>
        <div className="muted small">{user.email}</div>
      </td>
      <td>
        <Badge tone={user.role === 'admin' ? 'info' : 'neutral'}>{user.role}</Badge> {user.emailVerified ? <Badge tone="good">verified</Badge> : <Badge tone="warn">unverified</Badge>}{' '}
        {user.banned && <Badge tone="bad">banned{user.banReason ? `: ${user.banReason}` : ''}</Badge>}
      </td>
      <td className="muted small">{formatDate(user.createdAt)}</td>
      <td>
        <div className="row wrap">
          <Button variant="secondary" busy={role.busy} onClick={() => void role.run()}>
            {user.role === 'admin' ? 'Make user' : 'Make admin'}
          </Button>
          {!user.banned && <input className="inline-input" placeholder="Ban reason" aria-label={`Ban reason for ${user.handle}`} value={reason} onChange={(e) => setReason(e.target.value)} />}
          <Button variant={user.banned ? 'secondary' : 'danger'} busy={ban.busy} onClick={() => void ban.run()}>
            {user.banned ? 'Unban' : 'Ban'}
          </Button>
          <Button variant="ghost" busy={reset.busy} onClick={() => void reset.run()}>
            {sent ? 'Reset link sent' : 'Send reset link'}
          </Button>
        </div>
        <ErrorNotice error={role.error ?? ban.error ?? reset.error} />
      </td>
    </tr>
  );
}

export function AdminUsersPage() {
  const me = useUser();
  const [q, setQ] = useState('');
  const [role, setRole] = useState<'' | 'user' | 'admin'>('');
  const query = useDebounced(q.trim(), 250);
  const [users, setUsers] = useState<AdminUser[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [loading, setLoading] = useState(false);

  const load = async (after: string | null, signal?: AbortSignal) => {
    setLoading(true);
    setError(undefined);
    try {
      const page = await api.page('/v1/admin/users', { query: { q: query || undefined, role: role || undefined, cursor: after ?? undefined, limit: 50 }, ...(signal ? { signal } : {}) });
      setUsers((prev) => (after ? [...(prev ?? []), ...page.data] : page.data));
      setCursor(page.nextCursor);
    } catch (err) {
      if (!signal?.aborted) setError(asApiError(err));
    } finally {
      if (!signal?.aborted) setLoading(false);
    }
  };
  useEffect(() => {
    const controller = new AbortController();
    void load(null, controller.signal);
    return () => controller.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [query, role]);

  if (me?.role !== 'admin') return <Notice kind="warning">This page is for administrators.</Notice>;
  return (
    <div>
      <PageTitle subtitle="Search by handle or e-mail prefix.">Users</PageTitle>
      <Card>
        <div className="row wrap filters">
          <label className="field grow">
            <span className="field-label">Search</span>
            <input type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder="handle or e-mail" aria-label="Search users" />
          </label>
          <Select label="Role" value={role} onChange={(e) => setRole(e.target.value as typeof role)}>
            <option value="">Any</option>
            <option value="user">user</option>
            <option value="admin">admin</option>
          </Select>
        </div>
        <ErrorNotice error={error} />
        {users?.length === 0 && <Empty>No users match.</Empty>}
        {users && users.length > 0 && (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>User</th>
                  <th>Status</th>
                  <th>Joined</th>
                  <th>Actions</th>
                </tr>
              </thead>
              <tbody>
                {users.map((u) => (
                  <UserRow key={u.id} user={u} onChange={(next) => setUsers((list) => list?.map((x) => (x.id === next.id ? next : x)) ?? null)} />
                ))}
              </tbody>
            </table>
          </div>
        )}
        {loading && <Loading />}
        {cursor && !loading && (
          <Button variant="secondary" onClick={() => void load(cursor)}>
            Load more
          </Button>
        )}
      </Card>
    </div>
  );
}
