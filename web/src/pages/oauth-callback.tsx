import { useState } from 'react';
import { api } from '../api.ts';
import { refreshSession, signedIn, useUser } from '../auth.ts';
import { providerLabel } from '../config.ts';
import { once, useAction, useAsync } from '../hooks.ts';
import { Link, navigate, Redirect, useLocation } from '../router.tsx';
import { Field, Form, Loading, Notice } from '../ui.tsx';
import { TotpStep } from './totp-step.tsx';

/**
 * Where the server sends the browser after a provider (GET /v1/auth/oauth/:p/callback). The
 * outcome rides in the URL fragment, which never reaches a server or a Referer header.
 */
export function OAuthCallbackPage() {
  const { hash } = useLocation();
  const [params] = useState(() => new URLSearchParams(hash.replace(/^#/, '')));
  const outcome = params.get('oauth');
  if (outcome === 'signed_in') return <SignedIn />;
  if (outcome === 'totp_required') return <TotpStep tempToken={params.get('temp_token') ?? ''} onDone={() => navigate('/', { replace: true })} />;
  if (outcome === 'handle_required') return <ChooseHandle pendingToken={params.get('pending_token') ?? ''} suggested={params.get('suggested_handle') ?? ''} email={params.get('email') ?? ''} />;
  if (outcome === 'linked') {
    return (
      <div>
        <h1>Account linked</h1>
        <Notice kind="success">You can now sign in with {providerLabel(params.get('provider') ?? '')}.</Notice>
        <Link to="/account/security" className="btn btn-primary">
          Back to security settings
        </Link>
      </div>
    );
  }
  return (
    <div>
      <h1>Sign-in did not complete</h1>
      <div className="notice notice-error" role="alert" data-testid="error">
        <strong>The provider sign-in failed.</strong>
        <div className="muted small">
          <code>{params.get('error') ?? 'oauth:unknown'}</code>
          {params.get('request_id') && <> · request {params.get('request_id')}</>}
        </div>
      </div>
      <Link to="/sign-in">Try again</Link>
    </div>
  );
}

/** The server set the refresh cookie on the redirect; trade it for an access token. */
function SignedIn() {
  const user = useUser();
  const result = useAsync(() => once('oauth-refresh', refreshSession), []);
  if (result.data || user) return <Redirect to="/" />;
  if (result.loading) return <Loading label="Signing you in…" />;
  return <Notice kind="warning">The session could not be started. Please sign in again.</Notice>;
}

function ChooseHandle({ pendingToken, suggested, email }: { pendingToken: string; suggested: string; email: string }) {
  const [handle, setHandle] = useState(suggested);
  const action = useAction(async () => {
    signedIn(await api.post('/v1/auth/oauth/complete', { body: { pendingToken, handle: handle.trim() } }));
    navigate('/', { replace: true });
  });
  return (
    <div>
      <h1>Choose your handle</h1>
      <p className="muted">Creating an account for {email}.</p>
      <Form onSubmit={() => void action.run()} submitLabel="Create account" busy={action.busy} error={action.error}>
        <Field label="Handle" name="handle" value={handle} onChange={(e) => setHandle(e.target.value)} autoFocus required />
      </Form>
    </div>
  );
}
