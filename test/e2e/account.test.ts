import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base32Decode, totp } from '../../src/lib/totp.ts';
import { docScreenshot, hasChromium, identity, mailedToken, openPage, overflow, signIn, startE2E, verifiedAccount, withScreenshot, type E2E } from './harness.ts';

describe.skipIf(!hasChromium)('console e2e: account (375 px wide)', () => {
  let e2e: E2E;
  beforeAll(async () => {
    e2e = await startE2E();
  }, 120_000);
  afterAll(() => e2e?.close());

  it('sign up → verify by the mailed link → enable 2FA → sign out → sign in with a TOTP code', async () => {
    const who = identity('acct');
    const { context, page } = await openPage(e2e, { width: 375, height: 812 });
    await withScreenshot(page, 'account-flow', async () => {
      // Sign up: the console signs the new account in and asks for verification.
      await page.goto('/sign-up');
      await page.getByLabel('E-mail').fill(who.email);
      await page.getByLabel('Handle').fill(who.handle);
      await page.getByLabel('Password').fill(who.password);
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.getByText('Verify your e-mail address.').waitFor();
      expect(await overflow(page)).toBe('');

      // The dev mailbox, after a full reload: the session comes back from the refresh cookie.
      await page.goto('/mailbox');
      await page.getByTestId('mail-item').filter({ hasText: who.email }).first().click();
      await page.getByTestId('mail-message').locator('a[href*="/verify-email?token="]').click();
      await page.getByRole('heading', { name: 'E-mail verified' }).waitFor();
      expect(await overflow(page)).toBe('');

      // 2FA: the secret from the page, a code computed here (one step back, so the sign-in
      // below can use the current step: a step is accepted once).
      await page.goto('/account/security');
      await page.getByRole('button', { name: 'Set up two-factor authentication' }).click();
      const secret = (await page.getByTestId('totp-secret').textContent())?.trim() ?? '';
      expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
      await expect(page.locator('img.qr').evaluate((img) => {
        const i = img as unknown as { complete: boolean; naturalWidth: number };
        return i.complete && i.naturalWidth > 0;
      })).resolves.toBe(true);
      await page.getByLabel('Code from the app').fill(totp(base32Decode(secret), Date.now() - 30_000));
      await page.getByRole('button', { name: 'Turn on 2FA' }).click();
      const codes = page.getByTestId('backup-codes').locator('li');
      await codes.first().waitFor();
      expect(await codes.count()).toBe(10);
      await page.getByRole('button', { name: 'Download .txt' }).waitFor();
      expect(await overflow(page)).toBe('');
      await docScreenshot(page, 'two-factor-mobile');

      // Sign out; a wrong password shows the API's message and code.
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      await page.getByLabel('E-mail or handle').fill(who.email);
      await page.getByLabel('Password', { exact: true }).fill(`${who.password}-wrong`);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await expect(page.getByTestId('error').getAttribute('data-code')).resolves.toBe('user:invalid_password');
      await page.getByTestId('error').getByText('Invalid email or password').waitFor();

      // The right password, then the second step with the current TOTP code.
      await page.getByLabel('Password', { exact: true }).fill(who.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Two-factor authentication' }).waitFor();
      await page.getByLabel('Authentication code').fill(totp(base32Decode(secret), Date.now()));
      await page.getByRole('button', { name: 'Verify' }).click();
      await page.getByRole('heading', { name: 'Overview' }).waitFor();
      await page.getByText(`Signed in as @${who.handle}`).waitFor();

      // The session list marks this one.
      await page.goto('/account/security');
      await page.getByText('this session').waitFor();
      expect(await overflow(page)).toBe('');

      // Profile, then an e-mail change confirmed from the mail sent to the new address.
      await page.goto('/account');
      await page.getByLabel('Display name').fill('Ada Console');
      await page.getByRole('button', { name: 'Save profile' }).click();
      await page.getByText('Profile saved.').waitFor();
      const newEmail = `new_${who.email}`;
      await page.getByLabel('New e-mail').fill(newEmail);
      await page.getByLabel('Your password').fill(who.password);
      await page.getByRole('button', { name: 'Change e-mail' }).click();
      await page.getByText(`We sent a confirmation link to ${newEmail}`).waitFor();
      await page.goto('/mailbox');
      await page.getByTestId('mail-item').filter({ hasText: 'Confirm your new e-mail address' }).filter({ hasText: newEmail }).first().click();
      await page.getByTestId('mail-message').locator('a[href*="/confirm-email?token="]').click();
      await page.getByText(`You now sign in with ${newEmail}`).waitFor();
      expect(await overflow(page)).toBe('');
    });
    await context.close();
  }, 120_000);

  it('forgot password → the mailed reset link → a new password signs in', async () => {
    const who = await verifiedAccount(e2e, 'reset');
    const { context, page } = await openPage(e2e, { width: 375, height: 812 });
    await withScreenshot(page, 'password-reset-flow', async () => {
      await page.goto('/sign-in');
      await page.getByRole('link', { name: 'Forgot your password?' }).click();
      await page.getByLabel('E-mail').fill(who.email);
      await page.getByRole('button', { name: 'Send reset link' }).click();
      await page.getByRole('status').first().waitFor();
      const token = await mailedToken(e2e, who.email, '/reset-password');
      // A wrong token is refused with the API's code; the mailed one works once.
      await page.goto('/reset-password?token=not-a-real-token');
      await page.getByLabel('New password').fill('A-new-pass-for-basalt-42');
      await page.getByRole('button', { name: 'Set password' }).click();
      await expect(page.getByTestId('error').getAttribute('data-code')).resolves.toMatch(/^token:/);
      await page.goto(`/reset-password?token=${token}`);
      await page.getByLabel('New password').fill('A-new-pass-for-basalt-42');
      await page.getByRole('button', { name: 'Set password' }).click();
      await page.getByRole('heading', { name: 'Password changed' }).waitFor();
      await page.getByRole('link', { name: 'Sign in' }).click();
      await signIn(page, { handle: who.handle, password: 'A-new-pass-for-basalt-42' });

      // A second session (another device) is listed and revoked from here.
      const other = await e2e.call('POST', '/v1/auth/login', { json: { login: who.handle, password: 'A-new-pass-for-basalt-42' }, headers: { 'user-agent': 'OtherDevice/1.0' } });
      expect(other.status).toBe(200);
      await page.goto('/account/security');
      const sessions = page.getByRole('region', { name: 'Sessions' });
      const device = sessions.getByRole('listitem').filter({ hasText: 'OtherDevice/1.0' });
      await device.getByRole('button', { name: 'Revoke' }).click();
      await device.waitFor({ state: 'detached' });
      expect((await e2e.call('GET', '/v1/me', { token: other.body.data.accessToken })).status).toBe(401);
    });
    await context.close();
  }, 120_000);
});
