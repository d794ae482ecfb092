import * as oidc from 'openid-client';
import { AppError } from '../../errors/index.ts';
import { newId, randomToken, safeEqual, sha256 } from '../../lib/crypto.ts';
import type { UserRow, UsersRepo } from '../accounts/repo.ts';
import type { SecondFactor } from '../sessions/service.ts';
import type { Tickets } from '../totp/tickets.ts';
import { assertPublicImageUrl, type Resolve } from './avatar.ts';
import type { OAuthClient, ProviderProfile } from './client.ts';
import type { Provider } from './providers.ts';
import type { ConnectionRow, ConnectionsRepo } from './repo.ts';

export interface StatePayload {
  provider: string;
  verifier: string;
  nonce: string;
  /** Where the app wants the browser sent afterwards (allowlisted); null: answer JSON. */
  redirectUri: string | null;
  /** Link mode: the signed-in user the connection is for. */
  linkUserId: string | null;
  /** SHA-256 of the browser-binding cookie set when the flow began. */
  bindingHash: string;
}

export type PendingSignup = Omit<ProviderProfile, 'emailVerified'> & { provider: string; email: string };

export interface Connection {
  provider: string;
  email: string | null;
  username: string | null;
  createdAt: string;
  lastUsedAt: string | null;
}

export type CallbackOutcome =
  | { kind: 'user'; user: UserRow }
  | { kind: 'totp'; tempToken: string; expiresIn: number }
  | { kind: 'signup'; pendingToken: string; expiresIn: number; provider: string; email: string; name: string | null; suggestedHandle: string }
  | { kind: 'linked'; connection: Connection }
  | { kind: 'error'; error: AppError };

export interface OAuthDeps {
  users: UsersRepo;
  connections: ConnectionsRepo;
  client: OAuthClient;
  providers: Map<string, Provider>;
  states: Tickets<StatePayload>;
  pending: Tickets<PendingSignup>;
  secondFactor: SecondFactor;
  /** PUBLIC_URL: the callback the providers send the browser to is under it. */
  publicUrl: string;
  /** Allowed app redirect URIs: full URLs (origin + path must match) or bare origins. */
  redirectAllowlist: readonly string[];
  ttlSeconds: number;
  resolveHost?: Resolve;
  now?: () => number;
}

export function presentConnection(row: ConnectionRow): Connection {
  return {
    provider: row.provider,
    email: row.provider_email,
    username: row.provider_username,
    createdAt: new Date(row.created_at).toISOString(),
    lastUsedAt: row.last_used_at === null ? null : new Date(row.last_used_at).toISOString(),
  };
}

function handleBase(profile: ProviderProfile & { email: string }): string {
  const raw = (profile.username ?? profile.email.split('@')[0] ?? 'user').toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
  return (raw.length >= 3 ? raw : `${raw}_user`).slice(0, 24);
}

/**
 * Sign-in, sign-up and linking with OAuth 2 / OpenID Connect providers. State and the PKCE
 * verifier live in the KV store for 10 minutes and are consumed once; the flow is also
 * bound to the browser that started it (a cookie), so a callback URL cannot be replayed into
 * someone else's browser (login CSRF). An e-mail already registered is never linked silently.
 */
export class OAuthService {
  private readonly now: () => number;
  private readonly allowlist: URL[];

  constructor(private readonly deps: OAuthDeps) {
    this.now = deps.now ?? Date.now;
    const entries = deps.redirectAllowlist.length > 0 ? deps.redirectAllowlist : [new URL(deps.publicUrl).origin];
    this.allowlist = entries.flatMap((e) => {
      try {
        return [new URL(e)];
      } catch {
        return [];
      }
    });
  }

  providerNames(): string[] {
    return [...this.deps.providers.keys()];
  }

  private provider(name: string): Provider {
    const p = this.deps.providers.get(name);
    if (!p) throw new AppError('oauth:unsupported_provider', { details: [{ field: 'provider', issue: `not one of: ${this.providerNames().join(', ') || '(none configured)'}` }] });
    return p;
  }

  callbackUrl(name: string): string {
    return `${this.deps.publicUrl}/v1/auth/oauth/${encodeURIComponent(name)}/callback`;
  }

  private checkRedirect(raw: string): string {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new AppError('oauth:invalid_redirect_url', { details: [{ field: 'redirect_uri', issue: 'not a URL' }] });
    }
    const allowed =
      (url.protocol === 'https:' || url.protocol === 'http:') &&
      this.allowlist.some((entry) => entry.origin === url.origin && (entry.pathname === '/' || entry.pathname === url.pathname));
    if (!allowed) throw new AppError('oauth:invalid_redirect_url', { details: [{ field: 'redirect_uri', issue: 'not in OAUTH_REDIRECT_ALLOWLIST' }] });
    return url.href;
  }

  /** Starts a flow: the provider's authorization URL, and the browser-binding value for the cookie. */
  async begin(name: string, input: { redirectUri?: string | undefined; linkUserId?: string | undefined }): Promise<{ authorizationUrl: string; binding: string; expiresIn: number }> {
    const provider = this.provider(name);
    const redirectUri = input.redirectUri === undefined ? null : this.checkRedirect(input.redirectUri);
    const binding = randomToken(24);
    const verifier = oidc.randomPKCECodeVerifier();
    const nonce = oidc.randomNonce();
    // Build the URL first (it may fail on configuration): no state is stored for a flow that cannot start.
    const probe = await this.deps.client.authorizationUrl(provider, { redirectUri: this.callbackUrl(name), state: 'probe', verifier, nonce });
    const { token: state } = await this.deps.states.issue({ provider: name, verifier, nonce, redirectUri, linkUserId: input.linkUserId ?? null, bindingHash: sha256(binding) });
    const url = new URL(probe);
    url.searchParams.set('state', state);
    return { authorizationUrl: url.href, binding, expiresIn: this.deps.ttlSeconds };
  }

  /**
   * The provider sent the browser back. Errors before the state is known are thrown; after
   * it, a flow that named a redirect URI gets them as an outcome, so the app can show them.
   */
  async callback(name: string, query: Record<string, string>, binding: string | undefined): Promise<{ redirectUri: string | null; outcome: CallbackOutcome }> {
    const provider = this.provider(name);
    const state = query.state;
    if (!state) throw new AppError('oauth:invalid_state', { details: [{ field: 'state', issue: 'missing' }] });
    const ticket = await this.deps.states.consume(state);
    if (ticket.status === 'invalid') throw new AppError('oauth:invalid_state');
    if (ticket.status === 'expired') throw new AppError('oauth:state_expired');
    const flow = ticket.payload;
    if (flow.provider !== name) throw new AppError('oauth:invalid_state', { message: 'OAuth state was issued for another provider' });
    if (!binding || !safeEqual(sha256(binding), flow.bindingHash)) throw new AppError('oauth:invalid_state', { message: 'OAuth flow was started in another browser' });
    try {
      const current = new URL(this.callbackUrl(name));
      for (const [k, v] of Object.entries(query)) current.searchParams.set(k, v);
      const tokens = await this.deps.client.exchange(provider, current, { verifier: flow.verifier, state, nonce: flow.nonce });
      const profile = await this.deps.client.profile(provider, tokens);
      const outcome = flow.linkUserId ? await this.link(flow.linkUserId, name, profile) : await this.signIn(name, profile);
      return { redirectUri: flow.redirectUri, outcome };
    } catch (err) {
      if (flow.redirectUri && err instanceof AppError) return { redirectUri: flow.redirectUri, outcome: { kind: 'error', error: err } };
      throw err;
    }
  }

  private async signIn(provider: string, profile: ProviderProfile): Promise<CallbackOutcome> {
    const existing = await this.deps.connections.findByAccount(provider, profile.providerUserId);
    const owner = existing && (await this.deps.users.findById(existing.user_id));
    if (existing && owner) {
      await this.deps.connections.touch(existing.id, this.now());
      if (await this.deps.secondFactor.isEnabled(owner.id)) return { kind: 'totp', ...(await this.deps.secondFactor.challenge(owner.id)) };
      return { kind: 'user', user: owner };
    }
    if (!profile.email || !profile.emailVerified) throw new AppError('oauth:email_not_verified');
    if (await this.deps.users.findByEmail(profile.email)) {
      throw new AppError('oauth:email_already_exists', { details: [{ field: 'email', issue: `registered already: sign in, then link ${provider} from your account` }] });
    }
    const avatarUrl = profile.avatarUrl === null ? null : await assertPublicImageUrl(profile.avatarUrl, this.deps.resolveHost);
    const { emailVerified: _verified, ...rest } = profile;
    const { token, expiresAt } = await this.deps.pending.issue({ ...rest, email: profile.email, avatarUrl, provider });
    return {
      kind: 'signup',
      pendingToken: token,
      expiresIn: Math.round((expiresAt - this.now()) / 1000),
      provider,
      email: profile.email,
      name: profile.name,
      suggestedHandle: await this.suggestHandle(handleBase({ ...profile, email: profile.email })),
    };
  }

  private async suggestHandle(base: string): Promise<string> {
    if (!(await this.deps.users.findByHandle(base))) return base;
    for (let i = 0; i < 3; i++) {
      const candidate = `${base}_${Math.floor(1000 + Math.random() * 9000)}`;
      if (!(await this.deps.users.findByHandle(candidate))) return candidate;
    }
    return `${base}_${randomToken(3).toLowerCase().replace(/[^a-z0-9]/g, '0')}`;
  }

  private async link(userId: string, provider: string, profile: ProviderProfile): Promise<CallbackOutcome> {
    const user = await this.deps.users.findById(userId);
    if (!user) throw new AppError('oauth:invalid_state', { message: 'The account this link was started for no longer exists' });
    const existing = await this.deps.connections.findByAccount(provider, profile.providerUserId);
    if (existing) {
      if (existing.user_id !== userId) throw new AppError('oauth:account_already_linked');
      return { kind: 'linked', connection: presentConnection(existing) };
    }
    const row: ConnectionRow = {
      id: newId('oac'),
      user_id: userId,
      provider,
      provider_user_id: profile.providerUserId,
      provider_email: profile.email,
      provider_username: profile.username,
      created_at: this.now(),
      last_used_at: null,
    };
    await this.deps.connections.insert(row);
    return { kind: 'linked', connection: presentConnection(row) };
  }

  /** The first OAuth sign-up, once a handle is chosen: the account (e-mail verified, no password) and its connection. */
  async complete(pendingToken: string, handle: string | undefined): Promise<UserRow> {
    if (!handle) throw new AppError('oauth:handle_required', { details: [{ field: 'handle', issue: 'required for a new account' }] });
    const ticket = await this.deps.pending.consume(pendingToken);
    if (ticket.status === 'invalid') throw new AppError('oauth:invalid_state', { message: 'Sign-up token is invalid or was already used' });
    if (ticket.status === 'expired') throw new AppError('oauth:state_expired', { message: 'Sign-up token has expired' });
    const p = ticket.payload;
    const now = this.now();
    const user: UserRow = {
      id: newId('usr'),
      email: p.email,
      email_verified_at: now,
      handle,
      password_hash: null,
      role: 'user',
      display_name: p.name?.slice(0, 100) ?? null,
      bio: null,
      avatar_url: p.avatarUrl,
      banned_at: null,
      ban_reason: null,
      ban_expires_at: null,
      created_at: now,
      updated_at: now,
    };
    const connection: ConnectionRow = {
      id: newId('oac'),
      user_id: user.id,
      provider: p.provider,
      provider_user_id: p.providerUserId,
      provider_email: p.email,
      provider_username: p.username,
      created_at: now,
      last_used_at: now,
    };
    try {
      await this.deps.connections.createUserWithConnection(user, connection);
    } catch (err) {
      // Only a taken handle can go better on a second try: give the token back for it.
      if (err instanceof AppError && err.code === 'user:handle_already_exists') await this.deps.pending.restore(pendingToken, p, ticket.expiresAt);
      throw err;
    }
    return user;
  }

  async connections(userId: string): Promise<Connection[]> {
    return (await this.deps.connections.listForUser(userId)).map(presentConnection);
  }

  /**
   * Unlinks a provider. Never the last way in: an account without a password keeps at least
   * one connection to a provider this deployment still offers. (Magic links and password
   * reset are recovery paths, not counted.)
   */
  async unlink(userId: string, provider: string): Promise<void> {
    await this.deps.connections.deleteChecked(userId, provider, (user, connections) => {
      if (!connections.some((c) => c.provider === provider)) throw new AppError('oauth:connection_not_found');
      if (user.password_hash !== null) return;
      const remaining = connections.filter((c) => c.provider !== provider);
      if (remaining.length === 0) throw new AppError('oauth:cannot_unlink_last_connection');
      if (!remaining.some((c) => this.deps.providers.has(c.provider))) {
        throw new AppError('auth:last_method', { message: 'Cannot remove last auth method: the other connections are to providers no longer offered' });
      }
    });
  }
}
