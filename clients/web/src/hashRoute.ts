// Hash routes of the history pages: #/history, #/replay/<room_id>[?share=<token>&participant=<id>].
import { useEffect, useState } from 'react';

export type Route =
  | { page: 'history' }
  | { page: 'replay'; roomId: string; share: string | null; participant: string | null }
  | { page: null };

export function parseHash(hash: string): Route {
  const [path, query = ''] = hash.replace(/^#/, '').split('?');
  const params = new URLSearchParams(query);
  if (path === '/history') return { page: 'history' };
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
