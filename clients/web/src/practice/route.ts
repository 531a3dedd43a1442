// Hash routes of the practice pages: '#/resume', '#/plan' (anything else: the lobby).
import { useEffect, useState } from 'react';

export type PracticeRoute = 'resume' | 'plan' | null;

export function routeOf(hash: string): PracticeRoute {
  return hash === '#/resume' ? 'resume' : hash === '#/plan' ? 'plan' : null;
}

export function useHashRoute(): PracticeRoute {
  const [route, setRoute] = useState<PracticeRoute>(() => routeOf(window.location.hash));
  useEffect(() => {
    const on = () => setRoute(routeOf(window.location.hash));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}
