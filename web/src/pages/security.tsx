import { useState } from 'react';
import { api } from '../api.ts';
import { config, providerLabel } from '../config.ts';
import { useAction, useAsync } from '../hooks.ts';
import { Badge, Button, Card, ConfirmButton, CopyButton, Empty, ErrorNotice, Field, Form, Loading, Notice, PageTitle, formatDate } from '../ui.tsx';
import { oauthReturnUrl } from './sign-in.tsx';

/** Backup codes, shown once: copy them or download them as a text file. */
export function BackupCodes({ codes }: { codes: string[] }) {
  const text = `${config.appName} backup codes (each works once)\n\n${codes.join('\n')}\n`;
  const download = () => {
    const url = URL.createObjectURL(new Blob([text], { type: 'text/plain' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `${config.appName.toLowerCase()}-backup-codes.txt`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };
  return (
    <div className="backup-codes">
      <Notice kind="warning">Save these backup codes now: they are shown only once. Each signs you in once if you lose your authenticator.</Notice>
      <ul className="codes" data-testid="backup-codes">
        {codes.map((c) => (
          <li key={c}>
            <code>{c}</code>
          </li>
        ))}
      </ul>
      <div className="row">
        <CopyButton text={codes.join('\n')} label="Copy codes" />
        <Button variant="secondary" onClick={download}>
          Download .txt
        </Button>
      </div>
    </div>
  );
}

function TotpSetup({ onEnabled }: { onEnabled: (codes: string[]) => void }) {
  const [code, setCode] = useState('');
  const setup = useAction(() => api.post('/v1/me/totp/setup'));
  const [data, setData] = useState<Awaited<ReturnType<typeof setup.run>>>(undefined);
  const enable = useAction(async () => onEnabled((await api.post('/v1/me/totp/enable', { body: { code: code.trim() } })).backupCodes));
  if (!data) {
    return (
      <div>
        <p className="muted">Protect your account with a code from an authenticator app (1Password, Google Authenticator, Aegis…) on every sign-in.</p>
        <Button busy={setup.busy} onClick={() => void setup.run().then(setData)}>
          Set up two-factor authentication
        </Button>
        <ErrorNotice error={setup.error} />
      </div>
    );
  }
  return (
    <div className="totp-setup">
      <ol>
        <li>Scan this QR code with your authenticator app, or enter the secret by hand.</li>
      </ol>
      <img className="qr" src={data.qrCode.pngDataUrl} alt="QR code for the authenticator app" width="200" height="200" />
      <p>
        Secret: <code data-testid="totp-secret">{data.secret}</code> <CopyButton text={data.secret} label="Copy secret" />
      </p>
      <ol start={2}>
        <li>Enter the 6-digit code the app shows.</li>
      </ol>
      <Form onSubmit={() => void enable.run()} submitLabel="Turn on 2FA" busy={enable.busy} error={enable.error}>
        <Field label="Code from the app" name="totpCode" value={code} onChange={(e) => setCode(e.target.value)} inputMode="numeric" autoComplete="one-time-code" />
      </Form>
    </div>
  );
}

function CodeAction({ label, danger, onSubmit }: { label: string; danger?: boolean; onSubmit: (code: string) => Promise<void> }) {
  const [code, setCode] = useState('');
  const action = useAction(() => onSubmit(code.trim()));
  return (
    <Form onSubmit={() => void action.run()} submitLabel={label} busy={action.busy} error={action.error} className={danger ? 'form-danger' : ''}>
      <Field label="Current code (app or backup)" name={`code-${label}`} value={code} onChange={(e) => setCode(e.target.value)} autoComplete="one-time-code" />
    </Form>
  );
}

function TwoFactor() {
  const status = useAsync(() => api.get('/v1/me/totp'), []);
  const [codes, setCodes] = useState<string[] | null>(null);
  return (
    <Card title="Two-factor authentication" id="two-factor" actions={status.data?.enabled && <Badge tone="good">on</Badge>}>
      {status.loading && <Loading />}
      <ErrorNotice error={status.error} />
      {codes && <BackupCodes codes={codes} />}
      {status.data && !status.data.enabled && (
        <TotpSetup
          onEnabled={(c) => {
            setCodes(c);
            status.reload();
          }}
        />
      )}
      {status.data?.enabled && (
        <div>
          <p>
            2FA is on. <strong>{status.data.backupCodesLeft}</strong> backup code(s) left.
          </p>
          <details>
            <summary>New backup codes</summary>
            <CodeAction label="Replace backup codes" onSubmit={async (code) => setCodes((await api.post('/v1/me/totp/backup-codes', { body: { code } })).backupCodes)} />
          </details>
          <details>
            <summary>Turn off 2FA</summary>
            <CodeAction
              label="Turn off 2FA"
              danger
              onSubmit={async (code) => {
                await api.post('/v1/me/totp/disable', { body: { code } });
                setCodes(null);
                status.reload();
              }}
            />
          </details>
        </div>
      )}
    </Card>
  );
}

function Sessions() {
  const list = useAsync(() => api.get('/v1/me/sessions'), []);
  const revoke = useAction(async (id: string) => {
    await api.delete('/v1/me/sessions/{id}', { params: { id } });
    list.reload();
  });
  const revokeOthers = useAction(async () => {
    await api.delete('/v1/me/sessions');
    list.reload();
  });
  const others = (list.data ?? []).filter((s) => !s.current).length;
  return (
    <Card
      title="Sessions"
      actions={others > 0 && (
        <ConfirmButton busy={revokeOthers.busy} onConfirm={() => void revokeOthers.run()}>
          Sign out other sessions
        </ConfirmButton>
      )}
    >
      {list.loading && !list.data && <Loading />}
      <ErrorNotice error={list.error ?? revoke.error ?? revokeOthers.error} />
      <ul className="list sessions">
        {list.data?.map((s) => (
          <li key={s.id} className="row-between">
            <div>
              <div>
                {s.userAgent ?? 'Unknown device'} {s.current && <Badge tone="good">this session</Badge>}
              </div>
              <div className="muted small">
                {s.ip ?? 'unknown IP'} · signed in {formatDate(s.createdAt)} · last seen {formatDate(s.lastSeenAt)}
              </div>
            </div>
            {!s.current && (
              <Button variant="secondary" busy={revoke.busy} onClick={() => void revoke.run(s.id)}>
                Revoke
              </Button>
            )}
          </li>
        ))}
      </ul>
    </Card>
  );
}

function LinkedAccounts() {
  const list = useAsync(() => api.get('/v1/me/connections'), []);
  const unlink = useAction(async (provider: string) => {
    await api.delete('/v1/me/connections/{provider}', { params: { provider } });
    list.reload();
  });
  const link = useAction(async (provider: string) => {
    const r = await api.get('/v1/auth/oauth/{provider}', { params: { provider }, query: { mode: 'link', response: 'json', redirect_uri: oauthReturnUrl() } });
    window.location.assign(r.authorizationUrl);
  });
  const linked = new Set(list.data?.map((c) => c.provider));
  const available = config.oauthProviders.filter((p) => !linked.has(p));
  return (
    <Card title="Linked accounts">
      {list.loading && <Loading />}
      <ErrorNotice error={list.error ?? unlink.error ?? link.error} />
      {list.data?.length === 0 && <Empty>No linked accounts.{config.oauthProviders.length === 0 && ' No OAuth providers are configured on this server.'}</Empty>}
      <ul className="list">
        {list.data?.map((c) => (
          <li key={c.provider} className="row-between">
            <div>
              <strong>{providerLabel(c.provider)}</strong> {c.username ?? c.email}
              <div className="muted small">linked {formatDate(c.createdAt)} · last used {formatDate(c.lastUsedAt)}</div>
            </div>
            <ConfirmButton busy={unlink.busy} onConfirm={() => void unlink.run(c.provider)}>
              Unlink
            </ConfirmButton>
          </li>
        ))}
      </ul>
      {available.length > 0 && (
        <div className="row">
          {available.map((p) => (
            <Button key={p} variant="secondary" busy={link.busy} onClick={() => void link.run(p)}>
              Link {providerLabel(p)}
            </Button>
          ))}
        </div>
      )}
    </Card>
  );
}

export function SecurityPage() {
  return (
    <div>
      <PageTitle>Security</PageTitle>
      <div className="grid">
        <TwoFactor />
        <Sessions />
        <LinkedAccounts />
      </div>
    </div>
  );
}
