import { useState } from 'react';
import { api } from '../api.ts';
import type { Schemas } from '../../../src/client/index.ts';
import { useUser } from '../auth.ts';
import { useAction, useAsync, usePaged } from '../hooks.ts';
import { Link, navigate } from '../router.tsx';
import { Badge, Button, Card, ConfirmButton, Empty, ErrorNotice, Field, Form, Loading, PageTitle, Select, Tabs, TextArea, formatBytes, formatDate } from '../ui.tsx';
import { downloadFile, useRecentFiles } from './files.tsx';

type Post = Schemas['Post'];

function PostEditor({ post, onSaved }: { post?: Post; onSaved: (p: Post) => void }) {
  const [title, setTitle] = useState(post?.title ?? '');
  const [body, setBody] = useState(post?.body ?? '');
  const [visibility, setVisibility] = useState<'public' | 'private'>(post?.visibility ?? 'public');
  const [attachments, setAttachments] = useState<string[]>(post?.attachments.map((a) => a.id) ?? []);
  const files = useRecentFiles().data ?? [];
  const action = useAction(async () => {
    const payload = { title: title.trim() || null, body, visibility, attachments };
    onSaved(post ? await api.patch('/v1/posts/{id}', { params: { id: post.id }, body: payload }) : await api.post('/v1/posts', { body: { ...payload, title: payload.title ?? undefined } }));
  });
  return (
    <Form onSubmit={() => void action.run()} submitLabel={post ? 'Save post' : 'Publish'} busy={action.busy} error={action.error}>
      <Field label="Title" name="postTitle" value={title} onChange={(e) => setTitle(e.target.value)} />
      <TextArea label="Body (Markdown)" name="postBody" value={body} rows={8} onChange={(e) => setBody(e.target.value)} />
      <Select label="Visibility" name="postVisibility" value={visibility} onChange={(e) => setVisibility(e.target.value as 'public' | 'private')}>
        <option value="public">public — in the feed and search</option>
        <option value="private">private — only you</option>
      </Select>
      {files.length > 0 && (
        <fieldset className="field">
          <legend className="field-label">Attachments (your uploads)</legend>
          {files.slice(0, 20).map((f) => (
            <label key={f.id} className="check">
              <input type="checkbox" checked={attachments.includes(f.id)} onChange={() => setAttachments((a) => (a.includes(f.id) ? a.filter((x) => x !== f.id) : [...a, f.id]))} /> {f.name}
            </label>
          ))}
        </fieldset>
      )}
    </Form>
  );
}

function PostCard({ post }: { post: Post }) {
  return (
    <article className="post-card" data-testid="post">
      <h3>
        <Link to={`/posts/${encodeURIComponent(post.id)}`}>{post.title ?? 'Untitled'}</Link> {post.visibility === 'private' && <Badge tone="warn">private</Badge>}
      </h3>
      <div className="muted small">
        <Link to={`/users/${encodeURIComponent(post.author.handle)}`}>@{post.author.handle}</Link> · {formatDate(post.createdAt)}
        {post.attachments.length > 0 && ` · ${post.attachments.length} attachment(s)`}
      </div>
      <p className="post-excerpt">{post.body.slice(0, 240)}</p>
    </article>
  );
}

export function PostsPage() {
  const user = useUser();
  const [tab, setTab] = useState<'feed' | 'mine' | 'new'>('feed');
  const feed = usePaged(
    (cursor, signal) =>
      tab === 'mine' && user ? api.page('/v1/users/{handle}/posts', { params: { handle: user.handle }, query: { cursor, limit: 20 }, signal }) : api.page('/v1/feed', { query: { cursor, limit: 20 }, signal }),
    [tab],
  );
  return (
    <div>
      <PageTitle subtitle="Markdown posts; public ones are in the feed and in search.">Posts</PageTitle>
      <Tabs
        tabs={[
          { id: 'feed', label: 'Feed' },
          ...(user ? [{ id: 'mine' as const, label: 'My posts' }, { id: 'new' as const, label: 'New post' }] : []),
        ]}
        value={tab}
        onChange={setTab}
      />
      {tab === 'new' ? (
        <Card title="New post">
          <PostEditor onSaved={(p) => navigate(`/posts/${encodeURIComponent(p.id)}`)} />
        </Card>
      ) : (
        <Card>
          <ErrorNotice error={feed.error} />
          {!feed.loading && !feed.error && feed.items.length === 0 && <Empty>No posts yet.</Empty>}
          <div className="posts">
            {feed.items.map((p) => (
              <PostCard key={p.id} post={p} />
            ))}
          </div>
          {feed.loading && <Loading />}
          {feed.hasMore && !feed.loading && (
            <Button variant="secondary" onClick={feed.loadMore}>
              Load more
            </Button>
          )}
        </Card>
      )}
    </div>
  );
}

export function PostPage({ id }: { id: string }) {
  const user = useUser();
  const post = useAsync(() => api.get('/v1/posts/{id}', { params: { id } }), [id]);
  const [editing, setEditing] = useState(false);
  const del = useAction(async () => {
    await api.delete('/v1/posts/{id}', { params: { id } });
    navigate('/posts', { replace: true });
  });
  const download = useAction(downloadFile);
  if (post.loading) return <Loading />;
  if (post.error || !post.data) return <ErrorNotice error={post.error} />;
  const p = post.data;
  const canEdit = user && (user.id === p.author.id || user.role === 'admin');
  return (
    <div>
      <PageTitle
        subtitle={
          <>
            <Link to={`/users/${encodeURIComponent(p.author.handle)}`}>@{p.author.handle}</Link> · {formatDate(p.createdAt)} {p.visibility === 'private' && <Badge tone="warn">private</Badge>}
          </>
        }
        actions={
          canEdit && (
            <div className="row">
              <Button variant="secondary" onClick={() => setEditing(!editing)}>
                {editing ? 'Cancel' : 'Edit'}
              </Button>
              <ConfirmButton busy={del.busy} onConfirm={() => void del.run()}>
                Delete
              </ConfirmButton>
            </div>
          )
        }
      >
        {p.title ?? 'Untitled'}
      </PageTitle>
      <ErrorNotice error={del.error ?? download.error} />
      {editing ? (
        <Card title="Edit post">
          <PostEditor
            post={p}
            onSaved={(next) => {
              post.setData(next);
              setEditing(false);
            }}
          />
        </Card>
      ) : (
        <Card>
          {/* Rendered and sanitised by the server (no raw HTML, no scripts, safe links only). */}
          <div className="post-body" dangerouslySetInnerHTML={{ __html: p.html }} />
          {p.attachments.length > 0 && (
            <ul className="list">
              {p.attachments.map((a) => (
                <li key={a.id}>
                  <button type="button" className="link" onClick={() => void download.run(a)}>
                    {a.name}
                  </button>{' '}
                  <span className="muted small">
                    {a.contentType} · {formatBytes(a.size)}
                  </span>
                </li>
              ))}
            </ul>
          )}
        </Card>
      )}
    </div>
  );
}
