import { api } from '../api.ts';
import { useUser } from '../auth.ts';
import { config } from '../config.ts';
import { useAsync } from '../hooks.ts';
import { Link, useLocation } from '../router.tsx';
import { Badge, Card, Empty, ErrorNotice, Loading, Notice, PageTitle } from '../ui.tsx';
import { ActivityCard } from './activity.tsx';
import { ResendVerification } from './links.tsx';

export function HomePage() {
  const user = useUser();
  const { search } = useLocation();
  const workspaces = useAsync(() => api.get('/v1/workspaces', { query: { limit: 10 } }), []);
  if (!user) return null;
  return (
    <div>
      <PageTitle subtitle={`Signed in as @${user.handle} (${user.email})`}>{search.get('welcome') ? `Welcome, ${user.displayName ?? user.handle}` : 'Overview'}</PageTitle>
      {!user.emailVerified && (
        <Notice kind="warning">
          <strong>Verify your e-mail address.</strong> We sent a link to {user.email}; creating workspaces, posts and uploads needs a verified address.
          {config.devMailbox && (
            <>
              {' '}
              In development it is in the <Link to="/mailbox">mailbox</Link>.
            </>
          )}
          <ResendVerification />
        </Notice>
      )}
      <div className="grid">
        <Card title="Workspaces" actions={<Link to="/workspaces">All workspaces</Link>}>
          {workspaces.loading && <Loading />}
          <ErrorNotice error={workspaces.error} />
          {workspaces.data?.length === 0 && (
            <Empty>
              No workspaces yet. <Link to="/workspaces">Create one</Link> to get projects, API keys and logs.
            </Empty>
          )}
          <ul className="list">
            {workspaces.data?.map((w) => (
              <li key={w.id}>
                <Link to={`/workspaces/${encodeURIComponent(w.slug)}`}>{w.name}</Link> <Badge>{w.role}</Badge>
              </li>
            ))}
          </ul>
        </Card>
        <Card title="Content">
          <ul className="list">
            <li>
              <Link to="/posts">Posts</Link> — write Markdown posts, read the feed
            </li>
            <li>
              <Link to="/files">Files</Link> — upload by drag and drop
            </li>
            <li>
              <Link to="/search">Search</Link> — posts and people, as you type
            </li>
          </ul>
        </Card>
        <ActivityCard />
        <Card title="Account">
          <ul className="list">
            <li>
              <Link to="/account">Profile, password and e-mail</Link>
            </li>
            <li>
              <Link to="/account/security">Two-factor authentication, sessions, linked accounts</Link>
            </li>
            {user.role === 'admin' && (
              <li>
                <Link to="/admin/users">Manage users</Link>
              </li>
            )}
          </ul>
        </Card>
      </div>
    </div>
  );
}
