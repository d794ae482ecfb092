import { newId } from '../../src/lib/crypto.ts';
import { serviceUrl } from '../helpers/backends.ts';
import type { ApiCall } from '../helpers/http.ts';
import { linkToken, startSmtpListener, type SmtpListener } from '../helpers/smtp.ts';
import { createTestApp, type SqlBackend, type TestApp, type TestAppOptions } from '../helpers/test-app.ts';

export interface Stack {
  name: string;
  sql: SqlBackend;
  kv: 'sqlite' | 'redis';
}

/** The embedded stack always; the scale-out stack (PostgreSQL + Redis) when both are configured. */
export function stacks(): Stack[] {
  const list: Stack[] = [{ name: 'sqlite+sqlite-kv', sql: 'sqlite', kv: 'sqlite' }];
  if (serviceUrl('DATABASE_URL') && serviceUrl('REDIS_URL')) list.push({ name: 'postgres+redis', sql: 'postgres', kv: 'redis' });
  return list;
}

export interface AccountsApp extends TestApp {
  smtp: SmtpListener;
}

/** A Basalt whose mail goes through a real SMTP listener; rate limits off (guards have their own suite). */
export async function startAccountsApp(options: TestAppOptions & { stack?: Stack } = {}): Promise<AccountsApp> {
  const smtp = await startSmtpListener();
  const { stack, ...rest } = options;
  const t = await createTestApp({
    ...rest,
    ...(stack ? { sql: stack.sql, kv: stack.kv } : {}),
    env: { SMTP_URL: smtp.url, RATE_LIMIT_ENABLED: 'false', ...options.env },
  });
  return {
    ...t,
    smtp,
    close: async () => {
      await t.close();
      await smtp.close();
    },
  };
}

let seq = 0;

/** A fresh, valid identity (unique within the process). */
export function identity(prefix = 'user') {
  seq += 1;
  const handle = `${prefix}_${process.pid}_${seq}`.slice(0, 30);
  return { email: `${handle}@example.test`, handle, password: `Basalt-test-pass-${seq}-${process.pid}` };
}

export interface Registered {
  id: string;
  email: string;
  handle: string;
  password: string;
}

export async function register(call: ApiCall, who = identity()): Promise<Registered> {
  const res = await call('POST', '/v1/auth/register', { json: who });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${res.text}`);
  return { id: res.body.data.user.id, ...who };
}

export async function login(call: ApiCall, who: { handle?: string; email?: string; password: string }, headers: Record<string, string> = {}) {
  const res = await call('POST', '/v1/auth/login', { json: { login: who.handle ?? who.email, password: who.password }, headers });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${res.text}`);
  return res.body.data as { accessToken: string; refreshToken: string; sessionId: string; user: { id: string } };
}

/** The token of the newest mail to `to` whose link goes to `path` (e.g. "/verify-email"). */
export async function mailedToken(app: AccountsApp, to: string, path: string): Promise<string> {
  const mail = await app.smtp.waitForMail((m) => m.to.includes(to) && m.text.includes(path));
  const newest = [...app.smtp.messages].reverse().find((m) => m.to.includes(to) && m.text.includes(path)) ?? mail;
  return linkToken(newest, path);
}

/** Registers, verifies through the mailed link and signs in. */
export async function verifiedUser(app: AccountsApp, who = identity()) {
  const user = await register(app.call, who);
  const token = await mailedToken(app, user.email, '/verify-email');
  const res = await app.call('POST', '/v1/auth/verify-email', { json: { token } });
  if (res.status !== 200) throw new Error(`verify failed: ${res.text}`);
  const session = await login(app.call, user);
  return { ...user, ...session };
}

/**
 * An account as an OAuth sign-up leaves it (verified, no password), signed in the way the
 * OAuth callback signs users in: a session started for a proven user.
 */
export async function passwordlessAccount(app: AccountsApp) {
  const who = identity('nopass');
  const now = Date.now();
  const row = { id: newId('usr'), email: who.email, email_verified_at: now, handle: who.handle, password_hash: null, role: 'user' as const, display_name: null, bio: null, avatar_url: null, banned_at: null, ban_reason: null, ban_expires_at: null, created_at: now, updated_at: now };
  await app.services.users.insert(row);
  const started = await app.services.sessions.startSession(row, { ip: null, userAgent: null });
  return { id: row.id, email: who.email, handle: who.handle, accessToken: started.tokens.accessToken };
}
