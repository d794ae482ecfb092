import type { ReactNode } from 'react';
import { useAuth } from './auth.ts';
import { Centered, Shell } from './layout.tsx';
import { AdminUsersPage } from './pages/admin.tsx';
import { AccountPage } from './pages/account.tsx';
import { FilesPage } from './pages/files.tsx';
import { HomePage } from './pages/home.tsx';
import { ConfirmEmailPage, InvitationPage, MagicLinkPage, ResetPasswordPage, VerifyEmailPage } from './pages/links.tsx';
import { LogsPage } from './pages/logs.tsx';
import { MailboxPage } from './pages/mailbox.tsx';
import { OAuthCallbackPage } from './pages/oauth-callback.tsx';
import { PostPage, PostsPage } from './pages/posts.tsx';
import { ProfilePage } from './pages/profile.tsx';
import { ProjectPage } from './pages/project.tsx';
import { SearchPage } from './pages/search.tsx';
import { SecurityPage } from './pages/security.tsx';
import { ForgotPasswordPage, SignInPage, SignUpPage } from './pages/sign-in.tsx';
import { WorkspacePage, WorkspacesPage } from './pages/workspaces.tsx';
import { matchPath, Redirect, safeNext, useLocation } from './router.tsx';
import { Loading } from './ui.tsx';

type Access = 'user' | 'guest' | 'any';
interface Route {
  path: string;
  access: Access;
  /** `centered`: the sign-in style card; `shell`: the app frame; `auto`: shell when signed in. */
  frame: 'centered' | 'shell' | 'auto';
  render: (params: Record<string, string>) => ReactNode;
}

const ROUTES: Route[] = [
  { path: '/', access: 'user', frame: 'shell', render: () => <HomePage /> },
  { path: '/sign-in', access: 'guest', frame: 'centered', render: () => <SignInPage /> },
  { path: '/sign-up', access: 'guest', frame: 'centered', render: () => <SignUpPage /> },
  { path: '/forgot-password', access: 'any', frame: 'centered', render: () => <ForgotPasswordPage /> },
  // The mailed links (src/modules/mail/templates.ts) and the OAuth return path.
  { path: '/verify-email', access: 'any', frame: 'centered', render: () => <VerifyEmailPage /> },
  { path: '/reset-password', access: 'any', frame: 'centered', render: () => <ResetPasswordPage /> },
  { path: '/confirm-email', access: 'user', frame: 'centered', render: () => <ConfirmEmailPage /> },
  { path: '/magic-link', access: 'any', frame: 'centered', render: () => <MagicLinkPage /> },
  { path: '/invitations/:token', access: 'user', frame: 'centered', render: (p) => <InvitationPage token={p.token ?? ''} /> },
  { path: '/oauth/callback', access: 'any', frame: 'centered', render: () => <OAuthCallbackPage /> },
  { path: '/account', access: 'user', frame: 'shell', render: () => <AccountPage /> },
  { path: '/account/security', access: 'user', frame: 'shell', render: () => <SecurityPage /> },
  { path: '/admin/users', access: 'user', frame: 'shell', render: () => <AdminUsersPage /> },
  { path: '/workspaces', access: 'user', frame: 'shell', render: () => <WorkspacesPage /> },
  { path: '/workspaces/:slug', access: 'user', frame: 'shell', render: (p) => <WorkspacePage slug={p.slug ?? ''} /> },
  { path: '/workspaces/:slug/projects/:id', access: 'user', frame: 'shell', render: (p) => <ProjectPage slug={p.slug ?? ''} id={p.id ?? ''} /> },
  { path: '/workspaces/:slug/projects/:id/logs', access: 'user', frame: 'shell', render: (p) => <LogsPage slug={p.slug ?? ''} id={p.id ?? ''} /> },
  { path: '/posts', access: 'any', frame: 'auto', render: () => <PostsPage /> },
  { path: '/posts/:id', access: 'any', frame: 'auto', render: (p) => <PostPage id={p.id ?? ''} /> },
  { path: '/users/:handle', access: 'any', frame: 'auto', render: (p) => <ProfilePage handle={p.handle ?? ''} /> },
  { path: '/files', access: 'user', frame: 'shell', render: () => <FilesPage /> },
  { path: '/search', access: 'any', frame: 'auto', render: () => <SearchPage /> },
  { path: '/mailbox', access: 'any', frame: 'auto', render: () => <MailboxPage /> },
];

function NotFound() {
  return (
    <div className="card">
      <h1>Not found</h1>
      <p>There is no page at this address.</p>
    </div>
  );
}

export function App() {
  const auth = useAuth();
  const location = useLocation();
  if (auth.status === 'loading') {
    return (
      <div className="centered">
        <Loading label="Starting…" />
      </div>
    );
  }
  const signedIn = auth.status === 'signed-in';
  let found: { route: Route; params: Record<string, string> } | undefined;
  for (const route of ROUTES) {
    const params = matchPath(route.path, location.pathname);
    if (params) {
      found = { route, params };
      break;
    }
  }
  if (!found) return signedIn ? <Shell><NotFound /></Shell> : <Centered><NotFound /></Centered>;
  const { route, params } = found;
  if (route.access === 'user' && !signedIn) {
    const next = location.pathname + location.search;
    return <Redirect to={next === '/' ? '/sign-in' : `/sign-in?next=${encodeURIComponent(next)}`} />;
  }
  if (route.access === 'guest' && signedIn) return <Redirect to={safeNext(location.search.get('next'))} />;
  const page = <div key={location.pathname}>{route.render(params)}</div>;
  const shell = route.frame === 'shell' || (route.frame === 'auto' && signedIn);
  return shell ? <Shell>{page}</Shell> : <Centered wide={route.frame === 'auto'}>{page}</Centered>;
}
