import { describe, expect, it } from 'vitest';
import { ensureFresh, registerAccount, signInWithPassword } from './account';
import { jsonResponse, makeArena } from './test/fakes';

const tokens = (over: Record<string, unknown> = {}) => ({
  token: 'acc-1', refresh_token: 'ref-1', user_id: 'u1', role: 'candidate', display_name: 'Hana', expires_in: 900, ...over,
});

describe('accounts in the client', () => {
  it('signs in with a password, stores the refresh token and connects with the access token', async () => {
    const h = makeArena({ signedIn: false, fetchImpl: (url) => (url.endsWith('/auth/login') ? jsonResponse(tokens({ role: 'coach' })) : jsonResponse({}, 404)) });
    expect(await signInWithPassword(h.arena, 'Hana@Example.com', 'secret-pass')).toBe(true);
    const auth = h.arena.getState().auth!;
    expect(auth).toMatchObject({ token: 'acc-1', kind: 'account', role: 'coach', email: 'hana@example.com', refresh_token: 'ref-1' });
    expect(h.socket().opts.auth).toEqual({ token: 'acc-1' });
    expect(JSON.parse(h.storage.getItem('arena.user')!)).toMatchObject({ refresh_token: 'ref-1', role: 'coach' });
  });

  it('a guest registering sends its token along and keeps its socket (same user id)', async () => {
    const seen: RequestInit[] = [];
    const h = makeArena({
      fetchImpl: (url, init) => {
        seen.push(init!);
        return url.endsWith('/auth/register') ? jsonResponse(tokens()) : jsonResponse({}, 404);
      },
    });
    h.arena.connect();
    const before = h.sockets.length;
    expect(await registerAccount(h.arena, { email: 'h@e.co', password: 'longenough', display_name: 'Hana', role: 'candidate' })).toBe(true);
    expect((seen[0].headers as any).Authorization).toBe('Bearer tok-1');
    expect(h.sockets.length).toBe(before);
    expect((h.socket() as any).auth).toEqual({ token: 'acc-1' });
    expect(h.arena.getState().auth?.kind).toBe('account');
  });

  it('rotates an access token close to expiry, and signs out when the session is gone', async () => {
    let status = 200;
    const h = makeArena({
      signedIn: false,
      fetchImpl: (url) => {
        if (url.endsWith('/auth/login')) return jsonResponse(tokens({ expires_in: 30 }));
        if (url.endsWith('/auth/refresh')) return status === 200 ? jsonResponse(tokens({ token: 'acc-2', refresh_token: 'ref-2' })) : jsonResponse({ ok: false, error: { code: 'refresh_token_reused', message: 'x' } }, 401);
        return jsonResponse({ ok: true });
      },
    });
    await signInWithPassword(h.arena, 'h@e.co', 'pw');
    await ensureFresh(h.arena);
    expect(h.arena.getState().auth).toMatchObject({ token: 'acc-2', refresh_token: 'ref-2' });
    await ensureFresh(h.arena);                       // 15 min left now: nothing to do
    expect(h.fetch.mock.calls.filter(([u]) => String(u).endsWith('/auth/refresh')).length).toBe(1);
    h.arena.adoptAuth({ ...h.arena.getState().auth!, expires_at: 0 }, false);
    status = 401;
    await ensureFresh(h.arena);
    expect(h.arena.getState().auth).toBeNull();
  });

  it('signing out of an account revokes its refresh token on the server', async () => {
    const h = makeArena({ signedIn: false, fetchImpl: (url) => jsonResponse(url.endsWith('/auth/login') ? tokens() : { ok: true }) });
    await signInWithPassword(h.arena, 'h@e.co', 'pw');
    h.arena.signOut();
    const logout = h.fetch.mock.calls.find(([u]) => String(u).endsWith('/auth/logout'));
    expect(JSON.parse(String(logout![1]!.body))).toEqual({ refresh_token: 'ref-1' });
    expect(h.storage.getItem('arena.user')).toBeNull();
  });
});
