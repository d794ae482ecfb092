import { useEffect, useState } from 'react';
import { api } from '../api.ts';
import { reloadUser, signedIn, updateUser, useUser } from '../auth.ts';
import { once, useAction, useAsync } from '../hooks.ts';
import { Link, navigate, useLocation } from '../router.tsx';
import { Button, ErrorNotice, Field, Form, Loading, Notice } from '../ui.tsx';
import { TotpStep } from './totp-step.tsx';

/** The token from a mailed link; an absent one is reported like a bad one, by the server. */
const useToken = () => useLocation().search.get('token') ?? '';

/** /verify-email?token=…: confirms at once (the link only proves the address). */
export function VerifyEmailPage() {
  const token = useToken();
  const user = useUser();
  const result = useAsync(() => once(`verify:${token}`, () => api.post('/v1/auth/verify-email', { body: { token } })), [token]);
  const verified = result.data !== undefined;
  useEffect(() => {
    if (verified) void reloadUser();
  }, [verified]);
  if (result.loading) return <Loading label="Verifying your e-mail address…" />;
  if (result.error) {
    return (
      <div>
        <h1>This link did not work</h1>
        <ErrorNotice error={result.error} />
        {user && !user.emailVerified && <ResendVerification />}
        <p className="small">
          <Link to="/">Continue</Link>
        </p>
      </div>
    );
  }
  return (
    <div>
      <h1>E-mail verified</h1>
      <Notice kind="success">{result.data?.user.email} is confirmed.</Notice>
      <p>
        <Link to={user ? '/' : '/sign-in'} className="btn btn-primary">
          {user ? 'Continue to the console' : 'Sign in'}
        </Link>
      </p>
    </div>
  );
}

export function ResendVerification() {
  const [sent, setSent] = useState(false);
  const action = useAction(async () => {
    await api.post('/v1/auth/verify-email/resend');
    setSent(true);
  });
  if (sent) return <Notice kind="success">A new verification link is on its way.</Notice>;
  return (
    <div>
      <Button variant="secondary" busy={action.busy} onClick={() => void action.run()}>
        Send a new verification link
      </Button>
      <ErrorNotice error={action.error} />
    </div>
  );
}

/** /reset-password?token=…: a new password; every session ends. */
export function ResetPasswordPage() {
  const token = useToken();
  const [password, setPassword] = useState('');
  const [done, setDone] = useState(false);
  const action = useAction(async () => {
    await api.post('/v1/auth/reset-password', { body: { token, password } });
    setDone(true);
  });
  if (done) {
    return (
      <div>
        <h1>Password changed</h1>
        <Notice kind="success">Every session was signed out. Sign in with the new password.</Notice>
        <Link to="/sign-in" className="btn btn-primary">
          Sign in
        </Link>
      </div>
    );
  }
  return (
    <div>
      <h1>Choose a new password</h1>
      <Form onSubmit={() => void action.run()} submitLabel="Set password" busy={action.busy} error={action.error}>
        <Field label="New password" name="password" type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="new-password" autoFocus required />
      </Form>
    </div>
  );
}

/** /confirm-email?token=…: the link sent to the new address (signed in as the account). */
export function ConfirmEmailPage() {
  const token = useToken();
  const result = useAsync(() => once(`confirm:${token}`, () => api.post('/v1/me/email/confirm', { body: { token } })), [token]);
  useEffect(() => {
    if (result.data) updateUser(result.data);
  }, [result.data]);
  if (result.loading) return <Loading label="Confirming your new address…" />;
  if (result.error) {
    return (
      <div>
        <h1>This link did not work</h1>
        <ErrorNotice error={result.error} />
        <Link to="/account">Back to your account</Link>
      </div>
    );
  }
  return (
    <div>
      <h1>E-mail address changed</h1>
      <Notice kind="success">You now sign in with {result.data?.email}.</Notice>
      <Link to="/account" className="btn btn-primary">
        Back to your account
      </Link>
    </div>
  );
}

/**
 * /magic-link?token=…: signs in on a click, not on load, so a mail scanner that opens links
 * cannot spend the single-use token.
 */
export function MagicLinkPage() {
  const token = useToken();
  const [tempToken, setTempToken] = useState<string | null>(null);
  const action = useAction(async () => {
    const result = await once(`magic:${token}`, () => api.post('/v1/auth/magic-link/verify', { body: { token } }));
    if (result.totpRequired) return setTempToken(result.tempToken);
    signedIn(result);
    navigate('/', { replace: true });
  });
  if (tempToken) return <TotpStep tempToken={tempToken} onDone={() => navigate('/', { replace: true })} />;
  return (
    <div>
      <h1>Sign in with your link</h1>
      <p className="muted">This link works once and only for a few minutes.</p>
      <Button busy={action.busy} onClick={() => void action.run()}>
        Continue signing in
      </Button>
      <ErrorNotice error={action.error} />
    </div>
  );
}

/** /invitations/:token: join the workspace with the invited (and verified) address. */
export function InvitationPage({ token }: { token: string }) {
  const user = useUser();
  const action = useAction(async () => {
    const { workspace } = await api.post('/v1/invitations/{token}/accept', { params: { token } });
    navigate(`/workspaces/${encodeURIComponent(workspace.slug)}`, { replace: true });
  });
  return (
    <div>
      <h1>Workspace invitation</h1>
      <p>
        Accept as <strong>@{user?.handle}</strong> ({user?.email}). The invitation must have been sent to this address, and it must be verified.
      </p>
      <Button busy={action.busy} onClick={() => void action.run()}>
        Accept invitation
      </Button>
      <ErrorNotice error={action.error} />
    </div>
  );
}
