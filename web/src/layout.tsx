import { useState, type ReactNode } from 'react';
import { api } from './api.ts';
import { signOut, useUser } from './auth.ts';
import { config } from './config.ts';
import { useAsync } from './hooks.ts';
import { Link, navigate, useLocation } from './router.tsx';
import { Badge, Button } from './ui.tsx';

function NavLink({ to, children, exact }: { to: string; children: ReactNode; exact?: boolean }) {
  const { pathname } = useLocation();
  const active = exact ? pathname === to : pathname === to || pathname.startsWith(`${to}/`);
  return (
    <Link to={to} className={active ? 'nav-link active' : 'nav-link'} aria-current={active ? 'page' : undefined}>
      {children}
    </Link>
  );
}

/** Lists the caller's workspaces; choosing one opens it. */
function WorkspaceSwitcher() {
  const { pathname } = useLocation();
  const current = /^\/workspaces\/([^/]+)/.exec(pathname)?.[1];
  const list = useAsync(() => api.get('/v1/workspaces', { query: { limit: 100 } }), [current]);
  return (
    <label className="switcher">
      <span className="field-label">Workspace</span>
      <select
        aria-label="Switch workspace"
        value={current ? decodeURIComponent(current) : ''}
        onChange={(e) => navigate(e.target.value ? `/workspaces/${encodeURIComponent(e.target.value)}` : '/workspaces')}
      >
        <option value="">All workspaces…</option>
        {list.data?.map((w) => (
          <option key={w.id} value={w.slug}>
            {w.name}
          </option>
        ))}
      </select>
    </label>
  );
}

export function Shell({ children }: { children: ReactNode }) {
  const user = useUser();
  const [open, setOpen] = useState(false);
  const { pathname } = useLocation();
  const [lastPath, setLastPath] = useState(pathname);
  if (pathname !== lastPath) {
    setLastPath(pathname);
    setOpen(false);
  }
  return (
    <div className={open ? 'shell nav-open' : 'shell'}>
      <header className="topbar">
        <button type="button" className="menu-toggle" aria-label="Menu" aria-expanded={open} onClick={() => setOpen(!open)}>
          ☰
        </button>
        <Link to="/" className="brand">
          <img src="/favicon.svg" alt="" width="24" height="24" /> {config.appName}
        </Link>
        <form
          className="topbar-search"
          role="search"
          onSubmit={(e) => {
            e.preventDefault();
            const q = new FormData(e.currentTarget).get('q');
            navigate(`/search?q=${encodeURIComponent(String(q ?? ''))}`);
          }}
        >
          <input name="q" type="search" placeholder="Search posts and people" aria-label="Search" />
        </form>
        {user && (
          <div className="topbar-user">
            <Link to="/account" className="user-chip">
              @{user.handle}
              {user.role === 'admin' && <Badge tone="info">admin</Badge>}
            </Link>
            <Button
              variant="ghost"
              onClick={() => {
                void signOut().finally(() => navigate('/sign-in'));
              }}
            >
              Sign out
            </Button>
          </div>
        )}
      </header>
      <nav className="sidebar" aria-label="Main">
        <WorkspaceSwitcher />
        <NavLink to="/" exact>
          Overview
        </NavLink>
        <NavLink to="/workspaces">Workspaces</NavLink>
        <div className="nav-section">Content</div>
        <NavLink to="/posts">Posts</NavLink>
        <NavLink to="/files">Files</NavLink>
        <NavLink to="/search">Search</NavLink>
        <div className="nav-section">Account</div>
        <NavLink to="/account" exact>
          Profile
        </NavLink>
        <NavLink to="/account/security">Security</NavLink>
        {user?.role === 'admin' && <NavLink to="/admin/users">Users (admin)</NavLink>}
        {config.devMailbox && (
          <>
            <div className="nav-section">Development</div>
            <NavLink to="/mailbox">Mailbox</NavLink>
          </>
        )}
        <div className="nav-section">API</div>
        <a className="nav-link" href="/docs">
          API docs
        </a>
      </nav>
      <main className="content">{children}</main>
    </div>
  );
}

/** Sign-in, sign-up and the mailed-link pages: a centred card, no navigation. */
export function Centered({ children, wide }: { children: ReactNode; wide?: boolean }) {
  return (
    <div className="centered">
      <div className={wide ? 'centered-card wide' : 'centered-card'}>
        <Link to="/" className="brand brand-large">
          <img src="/favicon.svg" alt="" width="32" height="32" /> {config.appName}
        </Link>
        {children}
        {config.devMailbox && (
          <p className="muted small centered-foot">
            Development mode: sent mail is in the <Link to="/mailbox">mailbox</Link>.
          </p>
        )}
      </div>
    </div>
  );
}
