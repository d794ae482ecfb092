import { api } from '../api.ts';
import { useAsync, usePaged } from '../hooks.ts';
import { Link } from '../router.tsx';
import { Button, Card, Empty, ErrorNotice, Loading, PageTitle, formatDate } from '../ui.tsx';

/** /users/:handle — the public profile (GET /v1/users/:handle) and the user's posts. */
export function ProfilePage({ handle }: { handle: string }) {
  const profile = useAsync(() => api.get('/v1/users/{handle}', { params: { handle } }), [handle]);
  const posts = usePaged((cursor, signal) => api.page('/v1/users/{handle}/posts', { params: { handle }, query: { cursor, limit: 20 }, signal }), [handle]);
  if (profile.loading) return <Loading />;
  if (profile.error || !profile.data) return <ErrorNotice error={profile.error} />;
  const p = profile.data;
  return (
    <div>
      <PageTitle subtitle={`@${p.handle} · joined ${formatDate(p.createdAt)}`}>{p.displayName ?? `@${p.handle}`}</PageTitle>
      {p.bio && (
        <Card>
          <p className="post-excerpt">{p.bio}</p>
        </Card>
      )}
      <Card title="Posts">
        <ErrorNotice error={posts.error} />
        {!posts.loading && !posts.error && posts.items.length === 0 && <Empty>No public posts yet.</Empty>}
        <ul className="list">
          {posts.items.map((post) => (
            <li key={post.id}>
              <Link to={`/posts/${encodeURIComponent(post.id)}`}>{post.title ?? 'Untitled'}</Link> <span className="muted small">{formatDate(post.createdAt)}</span>
            </li>
          ))}
        </ul>
        {posts.loading && <Loading />}
        {posts.hasMore && !posts.loading && (
          <Button variant="secondary" onClick={posts.loadMore}>
            Load more
          </Button>
        )}
      </Card>
    </div>
  );
}
