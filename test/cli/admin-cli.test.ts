import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildContainer, type Container } from '../../src/app/container.ts';
import { createApp } from '../../src/app/create-app.ts';
import { loadConfig } from '../../src/config/index.ts';
import { tempDir } from '../helpers/backends.ts';
import { apiClient, type ApiCall } from '../helpers/http.ts';
import { runBasalt, type CliResult } from '../helpers/cli.ts';

// Each CLI run starts Node, compiles TypeScript and may hash a password.
const CLI_TIMEOUT = 60_000;

/** Runs `basalt …` on `dataDir`, with `input` (when given) piped on stdin. */
function basalt(dataDir: string, args: string[], input?: string): Promise<CliResult> {
  return runBasalt(args, { DATA_DIR: dataDir, NODE_ENV: 'test' }, input);
}

function expectRefusal(r: CliResult, message: RegExp): void {
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(message);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.stdout).toBe('');
}

const ADMIN = { email: 'Root@Example.test', handle: 'Root_Admin', password: 'cli-admin-secret-1' };
const USER = { email: 'mallory@example.test', handle: 'mallory', password: 'cli-user-secret-22' };

describe('basalt admin --help', () => {
  const dir = tempDir();
  afterAll(() => dir.remove());

  it.each<[string[], RegExp]>([
    [['admin', '--help'], /Usage: basalt admin <subcommand>[\s\S]*create-user[\s\S]*promote[\s\S]*demote/],
    [['admin', 'create-user', '--help'], /Usage: basalt admin create-user --email <e> --handle <h>[\s\S]*--admin[\s\S]*--verified/],
    [['admin', 'promote', '-h'], /Usage: basalt admin promote <handle>/],
    [['admin', 'demote', '--help'], /Usage: basalt admin demote <handle>/],
    [['--help'], /admin\s+Manage accounts/],
  ])('%j prints its help', async (args, pattern) => {
    const r = await basalt(dir.path, args);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(pattern);
  }, CLI_TIMEOUT);
});

describe('basalt admin: accounts made by the CLI, as the API sees them', () => {
  const dir = tempDir();
  let container: Container;
  let call: ApiCall;

  const login = async (who: { handle: string; password: string }): Promise<string> => {
    const res = await call('POST', '/v1/auth/login', { json: { login: who.handle, password: who.password } });
    expect(res.status).toBe(200);
    return res.body.data.accessToken as string;
  };

  beforeAll(async () => {
    const admin = await basalt(dir.path, ['admin', 'create-user', '--email', ADMIN.email, '--handle', ADMIN.handle, '--password', ADMIN.password, '--admin', '--verified']);
    expect(admin.stderr).toBe('');
    expect(admin.code).toBe(0);
    expect(admin.stdout).toMatch(/^created root_admin <root@example\.test> \(usr_[0-9a-f]+\): role admin, e-mail verified$/m);
    // The password arrives on stdin, newline and all, as `echo "$PW" | basalt …` sends it.
    const user = await basalt(dir.path, ['admin', 'create-user', '--email', USER.email, '--handle', USER.handle], `${USER.password}\n`);
    expect(user.code).toBe(0);
    expect(user.stdout).toMatch(/created mallory <mallory@example\.test> .*: role user, e-mail not verified/);
    expect(user.stdout).toContain('verification e-mail sent to mallory@example.test');

    const config = loadConfig({ DATA_DIR: dir.path, NODE_ENV: 'test', LOG_LEVEL: 'silent' });
    container = await buildContainer(config, { logger: pino({ level: 'silent' }) });
    const app = createApp(container);
    call = apiClient((req) => app.fetch(req));
  }, 2 * CLI_TIMEOUT);

  afterAll(async () => {
    await container?.close();
    dir.remove();
  });

  it('the created admin signs in, is a verified admin, and lists users', async () => {
    const token = await login(ADMIN);
    const me = await call('GET', '/v1/me', { token });
    expect(me.status).toBe(200);
    expect(me.body.data).toMatchObject({ handle: 'root_admin', email: 'root@example.test', role: 'admin', emailVerified: true });

    const list = await call('GET', '/v1/admin/users', { token });
    expect(list.status).toBe(200);
    const handles = (list.body.data as Array<{ handle: string; role: string; emailVerified: boolean }>).map((u) => [u.handle, u.role, u.emailVerified]);
    expect(handles).toEqual(expect.arrayContaining([['root_admin', 'admin', true], ['mallory', 'user', false]]));
  });

  it('the stdin password is the password, without its trailing newline', async () => {
    const wrong = await call('POST', '/v1/auth/login', { json: { login: USER.handle, password: `${USER.password}\n` } });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error?.code).toBe('user:invalid_password');
    await login(USER);
  });

  it('a user is refused admin routes until promoted, and again once demoted', async () => {
    const token = await login(USER);
    const before = await call('GET', '/v1/admin/users', { token });
    expect(before.status).toBe(403);
    expect(before.body.error?.code).toBe('user:permission_insufficient');

    const promoted = await basalt(dir.path, ['admin', 'promote', 'Mallory']);
    expect(promoted.code).toBe(0);
    expect(promoted.stdout).toBe('mallory is now an admin\n');
    // The same token: roles are read per request, not baked into the access token.
    const asAdmin = await call('GET', '/v1/admin/users?q=root', { token });
    expect(asAdmin.status).toBe(200);
    expect((asAdmin.body.data as Array<{ handle: string }>).map((u) => u.handle)).toEqual(['root_admin']);

    const again = await basalt(dir.path, ['admin', 'promote', 'mallory']);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('mallory is already an admin; nothing changed\n');

    const demoted = await basalt(dir.path, ['admin', 'demote', 'mallory']);
    expect(demoted.code).toBe(0);
    expect(demoted.stdout).toBe('mallory is now a user\n');
    const after = await call('GET', '/v1/admin/users', { token });
    expect(after.status).toBe(403);
    expect(after.body.error?.code).toBe('user:permission_insufficient');
  }, 3 * CLI_TIMEOUT);

  it.each<[string, string[], RegExp]>([
    ['a taken e-mail', ['create-user', '--email', 'ROOT@example.test', '--handle', 'someone_else', '--password', 'fresh-secret-333'], /^basalt: User with this email already exists/],
    ['a taken handle (any case)', ['create-user', '--email', 'new@example.test', '--handle', 'MALLORY', '--password', 'fresh-secret-333'], /^basalt: Handle is already taken/],
    ['a common password', ['create-user', '--email', 'new@example.test', '--handle', 'newbie', '--password', 'password123'], /^basalt: .*--password: This password is too common/],
    [
      'a bad e-mail, handle and password, naming each',
      ['create-user', '--email', 'not-an-address', '--handle', 'x!', '--password', 'short'],
      /--email: Invalid email; --handle: Handle must be 3–30 characters.*; --password: Password must be at least 8 characters/,
    ],
    ['no password at all', ['create-user', '--email', 'new@example.test', '--handle', 'newbie'], /no password on stdin/],
    ['a missing --handle', ['create-user', '--email', 'new@example.test', '--password', 'fresh-secret-333'], /--email and --handle are required/],
    ['an unknown option', ['create-user', '--email', 'new@example.test', '--root'], /Unknown option '--root'/],
    ['promoting an unknown handle', ['promote', 'nobody_here'], /^basalt: no account with handle "nobody_here"$/m],
    ['promote without a handle', ['promote'], /expected exactly one handle/],
    ['an unknown subcommand', ['frobnicate'], /unknown admin subcommand "frobnicate"/],
  ])('refuses %s with a message and exit 1', async (_case, args, message) => {
    expectRefusal(await basalt(dir.path, ['admin', ...args]), message);
  }, CLI_TIMEOUT);

  it('reindex-search rebuilds a lost search index from the database', async () => {
    const token = await login(ADMIN);
    const marker = `basaltreindex${process.pid}`;
    const pub = await call('POST', '/v1/posts', { token, json: { title: `Public ${marker}`, body: 'visible to all' } });
    const priv = await call('POST', '/v1/posts', { token, json: { title: `Private ${marker}`, body: 'only mine', visibility: 'private' } });
    expect([pub.status, priv.status]).toEqual([201, 201]);
    const search = async (q: string, type = 'posts', bearer?: string) =>
      ((await call('GET', `/v1/search?type=${type}&q=${encodeURIComponent(q)}`, bearer ? { token: bearer } : {})).body.data as Array<{ id: string }>).map((h) => h.id);
    await container.flushEvents();
    await container.searchIndexer.idle();
    expect(await search(marker, 'posts', token)).toHaveLength(2);
    // The index loses everything (a new backend, a deleted file): search finds nothing.
    await container.search.remove('posts', [pub.body.data.id, priv.body.data.id]);
    const users = (await call('GET', '/v1/admin/users', { token })).body.data as Array<{ id: string }>;
    await container.search.remove('users', users.map((u) => u.id));
    expect(await search(marker, 'posts', token)).toEqual([]);
    expect(await search('mallory', 'users')).toEqual([]);

    const r = await basalt(dir.path, ['admin', 'reindex-search']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('search index rebuilt: 2 posts, 2 users\n');
    expect(await search(marker)).toEqual([pub.body.data.id]);
    expect((await search(marker, 'posts', token)).sort()).toEqual([pub.body.data.id, priv.body.data.id].sort());
    expect(await search('mallory', 'users')).toHaveLength(1);
  }, CLI_TIMEOUT);

  it('a refused create-user leaves no account behind', async () => {
    const list = await call('GET', '/v1/admin/users', { token: await login(ADMIN) });
    expect((list.body.data as Array<{ handle: string }>).map((u) => u.handle).sort()).toEqual(['mallory', 'root_admin']);
  });
});
