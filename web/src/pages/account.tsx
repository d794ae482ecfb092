import { useState } from 'react';
import { api } from '../api.ts';
import { signOut, updateUser, useUser, type AuthState } from '../auth.ts';
import { useAction } from '../hooks.ts';
import { navigate } from '../router.tsx';
import { Badge, Card, ConfirmButton, ErrorNotice, Field, Form, Notice, PageTitle, TextArea, formatDate } from '../ui.tsx';
import { ResendVerification } from './links.tsx';

type User = Extract<AuthState, { status: 'signed-in' }>['user'];

function ProfileForm({ user }: { user: User }) {
  const [displayName, setDisplayName] = useState(user.displayName ?? '');
  const [bio, setBio] = useState(user.bio ?? '');
  const [avatarUrl, setAvatarUrl] = useState(user.avatarUrl ?? '');
  const [saved, setSaved] = useState(false);
  const action = useAction(async () => {
    setSaved(false);
    const updated = await api.patch('/v1/me', { body: { displayName: displayName.trim() || null, bio: bio.trim() || null, avatarUrl: avatarUrl.trim() || null } });
    updateUser(updated);
    setSaved(true);
  });
  return (
    <Card title="Profile">
      <Form onSubmit={() => void action.run()} submitLabel="Save profile" busy={action.busy} error={action.error}>
        <Field label="Display name" name="displayName" value={displayName} onChange={(e) => setDisplayName(e.target.value)} />
        <TextArea label="Bio" name="bio" value={bio} rows={3} onChange={(e) => setBio(e.target.value)} />
        <Field label="Avatar URL" name="avatarUrl" type="url" value={avatarUrl} onChange={(e) => setAvatarUrl(e.target.value)} placeholder="https://…" />
        {saved && <Notice kind="success">Profile saved.</Notice>}
      </Form>
    </Card>
  );
}

function PasswordForm({ user }: { user: User }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [message, setMessage] = useState<string | null>(null);
  const action = useAction(async () => {
    setMessage(null);
    if (user.hasPassword) {
      const r = await api.post('/v1/me/password', { body: { currentPassword: current, newPassword: next } });
      setMessage(`Password changed. ${r.otherSessionsRevoked} other session(s) were signed out.`);
    } else {
      await api.post('/v1/me/password/set', { body: { newPassword: next } });
      updateUser({ ...user, hasPassword: true });
      setMessage('Password set. You can now sign in with it too.');
    }
    setCurrent('');
    setNext('');
  });
  return (
    <Card title={user.hasPassword ? 'Change password' : 'Set a password'}>
      <Form onSubmit={() => void action.run()} submitLabel={user.hasPassword ? 'Change password' : 'Set password'} busy={action.busy} error={action.error}>
        {user.hasPassword && <Field label="Current password" name="currentPassword" type="password" value={current} onChange={(e) => setCurrent(e.target.value)} autoComplete="current-password" />}
        <Field label="New password" name="newPassword" type="password" value={next} onChange={(e) => setNext(e.target.value)} autoComplete="new-password" />
        {message && <Notice kind="success">{message}</Notice>}
      </Form>
    </Card>
  );
}

function EmailForm({ user }: { user: User }) {
  const [newEmail, setNewEmail] = useState('');
  const [password, setPassword] = useState('');
  const [sent, setSent] = useState<string | null>(null);
  const action = useAction(async () => {
    await api.post('/v1/me/email', { body: { newEmail: newEmail.trim(), password } });
    setSent(newEmail.trim());
    setPassword('');
  });
  return (
    <Card title="E-mail address">
      <p>
        {user.email} {user.emailVerified ? <Badge tone="good">verified</Badge> : <Badge tone="warn">not verified</Badge>}
      </p>
      {!user.emailVerified && <ResendVerification />}
      {sent ? (
        <Notice kind="success">We sent a confirmation link to {sent}. The change takes effect when you open it.</Notice>
      ) : (
        <Form onSubmit={() => void action.run()} submitLabel="Change e-mail" busy={action.busy} error={action.error}>
          <Field label="New e-mail" name="newEmail" type="email" value={newEmail} onChange={(e) => setNewEmail(e.target.value)} autoComplete="email" />
          <Field label="Your password" name="emailPassword" type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="current-password" hint="To confirm it is you." />
        </Form>
      )}
    </Card>
  );
}

function DeleteAccount({ user }: { user: User }) {
  const [password, setPassword] = useState('');
  const action = useAction(async () => {
    await api.delete('/v1/me', { body: user.hasPassword ? { password } : {} });
    await signOut().catch(() => undefined);
    navigate('/sign-in', { replace: true });
  });
  return (
    <Card title="Delete account">
      <p className="muted">Deletes your account, sessions and linked accounts. This cannot be undone.</p>
       {user.hasPassword && <Field label="Password to confirm" name="deletePassword" type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="current-password" />}
      <ConfirmButton busy={action.busy} onConfirm={() => void action.run()} confirmLabel="Yes, delete my account">
        Delete account
      </ConfirmButton>
      <ErrorNotice error={action.error} />
    </Card>
  );
}

export function AccountPage() {
  const user = useUser();
  if (!user) return null;
  return (
    <div>
      <PageTitle subtitle={`@${user.handle} · member since ${formatDate(user.createdAt)}`}>Your account</PageTitle>
      <div className="grid">
        <ProfileForm user={user} />
        <EmailForm user={user} />
        <PasswordForm user={user} />
        <DeleteAccount user={user} />
      </div>
    </div>
  );
}
