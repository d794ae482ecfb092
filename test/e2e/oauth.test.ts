import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { githubUser, startGithubServer, type GithubServer } from '../sign-in/github-server.ts';
import { hasChromium, navLink, openPage, overflow, signIn, startE2E, verifiedAccount, withScreenshot, type E2E } from './harness.ts';

/** GitHub's OAuth web flow against a local server speaking it (test/sign-in/github-server.ts). */
describe.skipIf(!hasChromium)('console e2e: OAuth sign-up and sign-in (GitHub)', () => {
  let github: GithubServer;
  let e2e: E2E;
  beforeAll(async () => {
    github = await startGithubServer();
    e2e = await startE2E(github.env());
  }, 120_000);
  afterAll(async () => {
    await e2e?.close();
    await github?.close();
  });

  it('signs up with GitHub (choosing a handle), shows the linked account, signs out and back in with GitHub', async () => {
    const login = `octo${process.pid}`;
    github.approveAs(githubUser(login));
    const { context, page } = await openPage(e2e);
    await withScreenshot(page, 'oauth-flow', async () => {
      // The provider button only appears for configured providers (settings rendered by the server).
      await page.goto('/sign-in');
      await page.getByRole('link', { name: 'Continue with GitHub' }).click();
      // Back from the provider with a new identity: the app asks for a handle.
      await page.getByRole('heading', { name: 'Choose your handle' }).waitFor();
      await page.getByText(`${login}@gh.example.test`).waitFor();
      const handle = `gh_${login}`.slice(0, 30);
      await page.getByLabel('Handle').fill(handle);
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.getByRole('heading', { name: 'Overview' }).waitFor();
      await page.getByText(`Signed in as @${handle}`).waitFor();

      await navLink(page, 'Security').click();
      const linked = page.getByRole('region', { name: 'Linked accounts' });
      await linked.getByText('GitHub').waitFor();
      await linked.getByText(login).waitFor();
      // The only way to sign in: unlinking is refused with the API's code.
      await linked.getByRole('button', { name: 'Unlink' }).click();
      await linked.getByRole('button', { name: 'Confirm' }).click();
      await expect(linked.getByTestId('error').getAttribute('data-code')).resolves.toBe('oauth:cannot_unlink_last_connection');

      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      await page.getByRole('link', { name: 'Continue with GitHub' }).click();
      await page.getByRole('heading', { name: 'Overview' }).waitFor();
      await page.getByText(`Signed in as @${handle}`).waitFor();
      expect(await overflow(page)).toBe('');
    });
    await context.close();
  }, 120_000);

  it('links GitHub to a password account from the security page, then unlinks it', async () => {
    const who = await verifiedAccount(e2e, 'linker');
    const login = `octolink${process.pid}`;
    github.approveAs(githubUser(login));
    const { context, page } = await openPage(e2e);
    await withScreenshot(page, 'oauth-link-flow', async () => {
      await signIn(page, who);
      await navLink(page, 'Security').click();
      const linked = page.getByRole('region', { name: 'Linked accounts' });
      await linked.getByText('No linked accounts.').waitFor();
      await linked.getByRole('button', { name: 'Link GitHub' }).click();
      await page.getByRole('heading', { name: 'Account linked' }).waitFor();
      await page.getByRole('link', { name: 'Back to security settings' }).click();
      await linked.getByText(login).waitFor();
      // A password remains, so unlinking is allowed.
      await linked.getByRole('button', { name: 'Unlink' }).click();
      await linked.getByRole('button', { name: 'Confirm' }).click();
      await linked.getByText('No linked accounts.').waitFor();
    });
    await context.close();
  }, 120_000);
});
