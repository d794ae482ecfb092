import { useSyncExternalStore } from 'react';
import type { Schemas } from '../../src/client/index.ts';
import { anonymousApi, api, onTokenRejected, setAccessToken } from './api.ts';

type User = Schemas['User'];
export type AuthState = { status: 'loading' } | { status: 'signed-out' } | { status: 'signed-in'; user: User };

/**
 * Who is signed in. The refresh token is the httpOnly `basalt_refresh` cookie, traded at
 * POST /v1/auth/refresh on load and shortly before the access token expires.
 */
let state: AuthState = { status: 'loading' };
let timer: ReturnType<typeof setTimeout> | undefined;
let inflight: Promise<boolean> | null = null;
const listeners = new Set<() => void>();

function set(next: AuthState) {
  state = next;
  for (const l of listeners) l();
}

function schedule(expiresIn: number) {
  clearTimeout(timer);
  // At 80% of the lifetime, or a minute before expiry if that comes first: requests never meet an expired token.
  const ms = Math.max(5, Math.min(expiresIn - 60, expiresIn * 0.8)) * 1000;
  timer = setTimeout(() => void refreshSession(), ms);
}

function clear() {
  clearTimeout(timer);
  setAccessToken(null);
  set({ status: 'signed-out' });
}

/** A new access token from the refresh cookie; false (and signed out) when the session is gone. */
export function refreshSession(): Promise<boolean> {
  inflight ??= (async () => {
    try {
      const pair = await anonymousApi.post('/v1/auth/refresh');
      setAccessToken(pair.accessToken);
      schedule(pair.expiresIn);
      if (state.status !== 'signed-in') set({ status: 'signed-in', user: await api.get('/v1/me') });
      return true;
    } catch {
      clear();
      return false;
    } finally {
      inflight = null;
    }
  })();
  return inflight;
}

/** After a login (password, TOTP, magic link, OAuth completion): the pair's access token and user. */
export function signedIn(result: { accessToken: string; expiresIn: number; user: User }) {
  setAccessToken(result.accessToken);
  schedule(result.expiresIn);
  set({ status: 'signed-in', user: result.user });
}

export function updateUser(user: User) {
  if (state.status === 'signed-in') set({ status: 'signed-in', user });
}

export async function reloadUser() {
  if (state.status === 'signed-in') updateUser(await api.get('/v1/me'));
}

export async function signOut() {
  try {
    await api.post('/v1/auth/logout');
  } finally {
    clear();
  }
}

export function useAuth(): AuthState {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => state,
  );
}

export function useUser(): User | null {
  const s = useAuth();
  return s.status === 'signed-in' ? s.user : null;
}

onTokenRejected(refreshSession);
