import { useState, type ReactElement } from 'react';
import { api } from '../api.ts';
import { useAsync, useDebounced } from '../hooks.ts';
import { Link, navigate, useLocation } from '../router.tsx';
import { Card, Empty, ErrorNotice, Loading, PageTitle, Tabs } from '../ui.tsx';

// A textarea's markup is text only: it decodes entities (and keeps spaces) without running anything.
const decoder = document.createElement('textarea');

/** The server's snippet is HTML-escaped text with <mark> around matches: rendered as text nodes. */
function Snippet({ html }: { html: string }) {
  const parts = html.split(/(<mark>|<\/mark>)/);
  let marked = false;
  const out: ReactElement[] = [];
  parts.forEach((part, i) => {
    if (part === '<mark>') marked = true;
    else if (part === '</mark>') marked = false;
    else if (part) {
      decoder.innerHTML = part;
      const text = decoder.value;
      out.push(marked ? <mark key={i}>{text}</mark> : <span key={i}>{text}</span>);
    }
  });
  return <p className="snippet">{out}</p>;
}

export function SearchPage() {
  const { search } = useLocation();
  const [q, setQ] = useState(search.get('q') ?? '');
  const [type, setType] = useState<'posts' | 'users'>(search.get('type') === 'users' ? 'users' : 'posts');
  const query = useDebounced(q.trim(), 200);
  const results = useAsync((signal) => (query ? api.get('/v1/search', { query: { q: query, type, limit: 20 }, signal }) : Promise.resolve([])), [query, type]);
  return (
    <div>
      <PageTitle subtitle="Results as you type; the last word matches as a prefix.">Search</PageTitle>
      <Card>
        <input
          className="search-input"
          type="search"
          name="search"
          value={q}
          autoFocus
          placeholder={type === 'posts' ? 'Search posts…' : 'Search people…'}
          aria-label="Search query"
          onChange={(e) => {
            setQ(e.target.value);
            navigate(`/search?q=${encodeURIComponent(e.target.value)}${type === 'users' ? '&type=users' : ''}`, { replace: true });
          }}
        />
        <Tabs
          tabs={[
            { id: 'posts', label: 'Posts' },
            { id: 'users', label: 'People' },
          ]}
          value={type}
          onChange={setType}
        />
        <ErrorNotice error={results.error} />
        {results.loading && query && <Loading label="Searching…" />}
        {!results.loading && query && results.data?.length === 0 && <Empty>Nothing matches “{query}”.</Empty>}
        {!query && <Empty>Type to search {type === 'posts' ? 'public posts' : 'people by handle or name'}.</Empty>}
        <ul className="list results" data-testid="search-results">
          {results.data?.map((r) => (
            <li key={`${r.type}:${r.id}`} data-testid="search-result">
              {r.type === 'posts' && r.post ? (
                <Link to={`/posts/${encodeURIComponent(r.post.id)}`}>
                  <strong>{r.post.title ?? 'Untitled'}</strong> <span className="muted small">@{r.post.author.handle}</span>
                </Link>
              ) : (
                <Link to={`/users/${encodeURIComponent(r.user?.handle ?? r.id)}`}>
                  <strong>@{r.user?.handle ?? r.id}</strong> {r.user?.displayName && <span className="muted small">{r.user.displayName}</span>}
                </Link>
              )}
              <Snippet html={r.snippet} />
            </li>
          ))}
        </ul>
      </Card>
    </div>
  );
}
