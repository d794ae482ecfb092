import { useState } from 'react';
import { api } from '../api.ts';
import { signedIn } from '../auth.ts';
import { config, providerLabel } from '../config.ts';
import { useAction } from '../hooks.ts';
import { Link, navigate, safeNext, useLocation } from '../router.tsx';
import { Field, Form, Notice, Tabs } from '../ui.tsx';
import { TotpStep } from './totp-step.tsx';

/** Where OAuth providers send the browser back to (must be allowed by OAUTH_REDIRECT_ALLOWLIST). */
export const oauthReturnUrl = () => `${location.origin}/oauth/callback`;

export function OAuthButtons({ label = 'Continue with' }: { label?: string }) {
  if (config.oauthProviders.length === 0) return null;
  return (
    <div className="oauth-buttons">
      <div className="divider">or</div>
      {config.oauthProviders.map((p) => (
        <a key={p} className="btn btn-secondary btn-block" href={`/v1/auth/oauth/${encodeURIComponent(p)}?redirect_uri=${encodeURIComponent(oauthReturnUrl())}`}>
          {label} {providerLabel(p)}
        </a>
      ))}
    </div>
  );
}

function PasswordSignIn({ onTotp }: { onTotp: (tempToken: string) => void }) {
  const [login, setLogin] = useState('');
  const [password, setPassword] = useState('');
  const { search } = useLocation();
  const action = useAction(async () => {
    const result = await api.post('/v1/auth/login', { body: { login: login.trim(), password } });
    if (result.totpRequired) return onTotp(result.tempToken);
    signedIn(result);
    navigate(safeNext(search.get('next')), { replace: true });
  });
  return (
    <Form onSubmit={() => void action.run()} submitLabel="Sign in" busy={action.busy} error={action.error}>
      <Field label="E-mail or handle" name="login" value={login} onChange={(e) => setLogin(e.target.value)} autoComplete="username" autoFocus required />
      <Field label="Password" name="password" type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="current-password" required />
      <Link to="/forgot-password" className="small">
        Forgot your password?
      </Link>
    </Form>
  );
}

function MagicLinkRequest() {
  const [email, setEmail] = useState('');
  const [sent, setSent] = useState<string | null>(null);
  const action = useAction(async () => {
    const r = await api.post('/v1/auth/magic-link', { body: { email: email.trim() } });
    setSent(r.message);
  });
  if (sent) return <Notice kind="success">{sent} Open the link in the e-mail to sign in.</Notice>;
  return (
    <Form onSubmit={() => void action.run()} submitLabel="E-mail me a sign-in link" busy={action.busy} error={action.error}>
      <Field label="E-mail" name="email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} autoComplete="email" required />
    </Form>
  );
}

export function SignInPage() {
  const [tab, setTab] = useState<'password' | 'magic'>('password');
  const [tempToken, setTempToken] = useState<string | null>(null);
  const { search } = useLocation();
  if (tempToken) return <TotpStep tempToken={tempToken} onDone={() => navigate(safeNext(search.get('next')), { replace: true })} onCancel={() => setTempToken(null)} />;
  return (
    <div>
      <h1>Sign in</h1>
      <Tabs
        tabs={[
          { id: 'password', label: 'Password' },
          { id: 'magic', label: 'Magic link' },
        ]}
        value={tab}
        onChange={setTab}
      />
      {tab === 'password' ? <PasswordSignIn onTotp={setTempToken} /> : <MagicLinkRequest />}
      <OAuthButtons />
      <p className="small">
        No account yet? <Link to="/sign-up">Create one</Link>
      </p>
    </div>
  );
}

export function SignUpPage() {
  const [email, setEmail] = useState('');
  const [handle, setHandle] = useState('');
  const [password, setPassword] = useState('');
  const action = useAction(async () => {
    await api.post('/v1/auth/register', { body: { email: email.trim(), handle: handle.trim(), password } });
    // Signed in straight away; the verification mail is on its way.
    const result = await api.post('/v1/auth/login', { body: { login: handle.trim(), password } });
    if (result.totpRequired) throw new Error('Unexpected second factor for a new account');
    signedIn(result);
    navigate('/?welcome=1', { replace: true });
  });
  return (
    <div>
      <h1>Create your account</h1>
      <Form onSubmit={() => void action.run()} submitLabel="Create account" busy={action.busy} error={action.error}>
        <Field label="E-mail" name="email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} autoComplete="email" autoFocus required />
        <Field label="Handle" name="handle" value={handle} onChange={(e) => setHandle(e.target.value)} autoComplete="username" hint="Letters, digits and _; shown on your posts." required />
        <Field label="Password" name="password" type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="new-password" hint="At least 8 characters; not a common one." required />
      </Form>
      <OAuthButtons label="Sign up with" />
      <p className="small">
        Have an account? <Link to="/sign-in">Sign in</Link>
      </p>
    </div>
  );
}

export function ForgotPasswordPage() {
  const [email, setEmail] = useState('');
  const [sent, setSent] = useState<string | null>(null);
  const action = useAction(async () => setSent((await api.post('/v1/auth/forgot-password', { body: { email: email.trim() } })).message));
  return (
    <div>
      <h1>Reset your password</h1>
      {sent ? (
        <Notice kind="success">{sent}</Notice>
      ) : (
        <Form onSubmit={() => void action.run()} submitLabel="Send reset link" busy={action.busy} error={action.error}>
          <Field label="E-mail" name="email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} autoComplete="email" autoFocus required />
        </Form>
      )}
      <p className="small">
        <Link to="/sign-in">Back to sign in</Link>
      </p>
    </div>
  );
}
