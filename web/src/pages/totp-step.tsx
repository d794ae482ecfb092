import { useState } from 'react';
import { api } from '../api.ts';
import { signedIn } from '../auth.ts';
import { useAction } from '../hooks.ts';
import { Button, Field, Form } from '../ui.tsx';

/** The second sign-in step: a code from the authenticator app, or one of the backup codes. */
export function TotpStep({ tempToken, onDone, onCancel }: { tempToken: string; onDone: () => void; onCancel?: () => void }) {
  const [code, setCode] = useState('');
  const [backup, setBackup] = useState(false);
  const action = useAction(async () => {
    const result = await api.post('/v1/auth/login/totp', { body: { tempToken, code: code.trim() } });
    signedIn(result);
    onDone();
  });
  return (
    <div>
      <h1>Two-factor authentication</h1>
      <p className="muted">{backup ? 'Enter one of your backup codes. Each works once.' : 'Enter the 6-digit code from your authenticator app.'}</p>
      <Form
        onSubmit={() => void action.run()}
        submitLabel="Verify"
        busy={action.busy}
        error={action.error}
        secondary={onCancel && (
          <Button variant="ghost" onClick={onCancel}>
            Back
          </Button>
        )}
      >
        <Field
          label={backup ? 'Backup code' : 'Authentication code'}
          name="code"
          value={code}
          onChange={(e) => setCode(e.target.value)}
          autoComplete="one-time-code"
          inputMode={backup ? 'text' : 'numeric'}
          autoFocus
          required
        />
      </Form>
      <Button variant="ghost" onClick={() => setBackup(!backup)}>
        {backup ? 'Use the authenticator app' : 'Use a backup code'}
      </Button>
    </div>
  );
}
