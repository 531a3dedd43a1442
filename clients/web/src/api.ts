// HTTP calls of the public contract. All return parsed JSON or throw ArenaError.

import type { Persona, Report } from './types';

export class ArenaError extends Error {
  code: string;
  status?: number;
  constructor(code: string, message: string, status?: number) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface HttpApi {
  guest(displayName: string): Promise<{ token: string; user_id: string }>;
  personas(lang?: string): Promise<Persona[]>;
  report(roomId: string): Promise<Report>;
  config(): Promise<{ protocol_version: number; serializer: string; tick_hz: number }>;
  /** Any JSON route (accounts, cohorts, data rights: src/account.ts). */
  request<T = any>(method: string, path: string, body?: unknown): Promise<T>;
  logout?(refreshToken: string): Promise<unknown>;
}

export function createHttpApi(base: string, fetchFn: FetchLike, token: () => string | null): HttpApi {
  async function call<T>(path: string, init: RequestInit = {}): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (init.body) headers['Content-Type'] = 'application/json';
    const tok = token();
    if (tok) headers.Authorization = `Bearer ${tok}`;
    let res: Response;
    try {
      res = await fetchFn(base + path, { ...init, headers: { ...headers, ...(init.headers as any) } });
    } catch (e) {
      throw new ArenaError('network', String((e as Error)?.message ?? e));
    }
    let body: any = null;
    try {
      body = await res.json();
    } catch {
      body = null;
    }
    if (!res.ok) {
      const err = body?.error ?? body?.detail ?? body;
      const code =
        (err && typeof err === 'object' && typeof err.code === 'string' && err.code) ||
        (res.status === 401 || res.status === 403 ? 'unauthorized' : res.status === 404 ? 'room_not_found' : 'http');
      const message = (err && typeof err === 'object' && err.message) || (typeof err === 'string' ? err : `HTTP ${res.status}`);
      throw new ArenaError(code, message, res.status);
    }
    return body as T;
  }
  return {
    guest: (display_name) => call('/api/v1/auth/guest', { method: 'POST', body: JSON.stringify({ display_name }) }),
    personas: async (lang) => {
      const body: any = await call(`/api/v1/personas${lang ? `?lang=${encodeURIComponent(lang)}` : ''}`);
      return Array.isArray(body) ? body : Array.isArray(body?.personas) ? body.personas : [];
    },
    report: (roomId) => call(`/api/v1/rooms/${encodeURIComponent(roomId)}/report`),
    config: () => call('/api/v1/config'),
    request: (method, path, body) => call(path, { method, body: body === undefined ? undefined : JSON.stringify(body) }),
    logout: (refresh_token) => call('/api/v1/auth/logout', { method: 'POST', body: JSON.stringify({ refresh_token }) }),
  };
}
