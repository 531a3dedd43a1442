// HTTP calls of history, replay, exports, share links and boards (docs/reports.md).
import { ArenaError } from './api';
import type { Boards, MatchSummary, Progress, Replay, ShareLink } from './historyTypes';

/** Same-origin calls with the bearer token (if any) and an optional share token. */
export function historyApi(token: string | null, share?: string | null, base = '') {
  const q = (path: string) => (share ? `${path}${path.includes('?') ? '&' : '?'}share=${encodeURIComponent(share)}` : path);
  async function raw(path: string, init: RequestInit = {}): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (token) headers.Authorization = `Bearer ${token}`;
    let res: Response;
    try {
      res = await fetch(base + q(path), { ...init, headers });
    } catch (e) {
      throw new ArenaError('network', String((e as Error)?.message ?? e));
    }
    if (!res.ok) {
      let body: any = null;
      try {
        body = await res.json();
      } catch {
        body = null;
      }
      throw new ArenaError(body?.error?.code ?? 'http', body?.error?.message ?? `HTTP ${res.status}`, res.status);
    }
    return res;
  }
  const json = async <T,>(path: string, init?: RequestInit): Promise<T> => (await raw(path, init)).json() as Promise<T>;
  const room = (id: string) => `/api/v1/rooms/${encodeURIComponent(id)}`;
  return {
    matches: () => json<{ matches: MatchSummary[] }>('/api/v1/me/matches?limit=100'),
    progress: () => json<Progress>('/api/v1/me/progress'),
    replay: (roomId: string, participant?: string) =>
      json<Replay>(`${room(roomId)}/replay${participant ? `?participant=${encodeURIComponent(participant)}` : ''}`),
    boards: () => json<Boards>('/api/v1/boards?limit=10'),
    share: (roomId: string) => json<ShareLink>(`${room(roomId)}/share`, { method: 'POST' }),
    revoke: (roomId: string, tokenOrId: string) =>
      json<{ ok: boolean }>(`${room(roomId)}/share/${encodeURIComponent(tokenOrId)}`, { method: 'DELETE' }),
    /** A blob (an export or a recording), fetched with the token so an <a>/<audio> can use it. */
    blob: async (path: string): Promise<Blob> => (await raw(path)).blob(),
    exportPath: (roomId: string, fmt: 'pdf' | 'csv' | 'json') => `${room(roomId)}/report.${fmt}`,
  };
}

/** Save a blob as a file (export downloads). */
export function saveBlob(blob: Blob, name: string) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
