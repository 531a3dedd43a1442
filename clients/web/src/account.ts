// Accounts in the client: register / sign in / refresh / data rights, on top of Arena's auth state.
// The access token lives 15 minutes; `keepFresh` rotates it with the refresh token before it runs out.

import type { Arena, Auth } from './arena';

export interface TokensOut {
  token: string;
  refresh_token: string;
  user_id: string;
  role: 'candidate' | 'coach';
  display_name: string;
  expires_in: number;
}

export interface CohortSummary {
  cohort_id: string;
  name: string;
  role: 'coach' | 'member';
  invite_code: string | null;
  coach_name: string;
  members: number | null;
}

export function authFromTokens(t: TokensOut, email: string | null, now = Date.now()): Auth {
  return {
    token: t.token,
    user_id: t.user_id,
    display_name: t.display_name,
    kind: 'account',
    role: t.role,
    email,
    refresh_token: t.refresh_token,
    expires_at: now + t.expires_in * 1000,
  };
}

export async function signInWithPassword(arena: Arena, email: string, password: string): Promise<boolean> {
  try {
    const t = await arena.http.request<TokensOut>('POST', '/api/v1/auth/login', { email, password });
    arena.adoptAuth(authFromTokens(t, email.trim().toLowerCase()));
    return true;
  } catch (e) {
    arena.showError(e);
    return false;
  }
}

/** Register; a signed-in guest's token goes along, so the guest becomes the account and keeps its history. */
export async function registerAccount(
  arena: Arena,
  body: { email: string; password: string; display_name: string; role: 'candidate' | 'coach' },
): Promise<boolean> {
  try {
    const t = await arena.http.request<TokensOut>('POST', '/api/v1/auth/register', body);
    const same = arena.getState().auth?.user_id === t.user_id;
    arena.adoptAuth(authFromTokens(t, body.email.trim().toLowerCase()), !same);
    return true;
  } catch (e) {
    arena.showError(e);
    return false;
  }
}

/** Rotate the access token when it has less than `marginMs` left; signs out when the session is gone. */
export async function ensureFresh(arena: Arena, marginMs = 90_000): Promise<void> {
  const auth = arena.getState().auth;
  if (!auth || auth.kind !== 'account' || !auth.refresh_token) return;
  if ((auth.expires_at ?? 0) - Date.now() > marginMs) return;
  try {
    const t = await arena.http.request<TokensOut>('POST', '/api/v1/auth/refresh', { refresh_token: auth.refresh_token });
    arena.adoptAuth(authFromTokens(t, auth.email ?? null), false);
  } catch (e: any) {
    if (e?.status === 401) {
      arena.showError(e);
      arena.signOut();
    }
  }
}

/** Keep an account's token fresh: every 30 s and whenever the tab becomes visible again. */
export function keepFresh(arena: Arena): () => void {
  const tick = () => void ensureFresh(arena);
  const id = setInterval(tick, 30_000);
  const vis = () => document.visibilityState === 'visible' && tick();
  document.addEventListener('visibilitychange', vis);
  return () => {
    clearInterval(id);
    document.removeEventListener('visibilitychange', vis);
  };
}

/** Save a download from an authenticated GET (JSON export, dashboard CSV). */
export async function download(arena: Arena, path: string, filename: string): Promise<void> {
  await ensureFresh(arena);
  const token = arena.getState().auth?.token;
  try {
    const res = await fetch(path, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
    if (!res.ok) throw Object.assign(new Error(`HTTP ${res.status}`), { code: (await res.json().catch(() => null))?.error?.code ?? 'http' });
    const url = URL.createObjectURL(await res.blob());
    const a = document.createElement('a');
    a.href = url;
    a.download = filename;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  } catch (e) {
    arena.showError(e);
  }
}
