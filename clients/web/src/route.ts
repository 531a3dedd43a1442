// Hash routes of the pages outside a room: #/history, #/replay/<room_id>[?share=<token>&participant=<id>],
// #/account, #/coach, #/resume, #/plan. Anything else: the lobby.
import { useEffect, useState } from 'react';

export type Route =
  | { page: 'history' | 'account' | 'coach' | 'resume' | 'plan' }
  | { page: 'replay'; roomId: string; share: string | null; participant: string | null }
  | { page: null };

const SIMPLE = ['history', 'account', 'coach', 'resume', 'plan'] as const;

export function parseHash(hash: string): Route {
  const [path, query = ''] = hash.replace(/^#/, '').split('?');
  const params = new URLSearchParams(query);
  for (const p of SIMPLE) if (path === `/${p}`) return { page: p };
  const m = /^\/replay\/([0-9a-f]{1,32})$/.exec(path);
  if (m) return { page: 'replay', roomId: m[1], share: params.get('share'), participant: params.get('participant') };
  return { page: null };
}

export function useHashRoute(): Route {
  const [route, setRoute] = useState<Route>(() => parseHash(typeof location !== 'undefined' ? location.hash : ''));
  useEffect(() => {
    const on = () => setRoute(parseHash(location.hash));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}

export function go(hash: string) {
  location.hash = hash;
}
