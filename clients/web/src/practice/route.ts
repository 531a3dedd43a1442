// The practice pages' part of the app's hash route (../route.ts): '#/resume', '#/plan'; null: the lobby.
import { parseHash, useHashRoute as useAppRoute } from '../route';

export type PracticeRoute = 'resume' | 'plan' | null;

export function routeOf(hash: string): PracticeRoute {
  const { page } = parseHash(hash);
  return page === 'resume' || page === 'plan' ? page : null;
}

export function useHashRoute(): PracticeRoute {
  const { page } = useAppRoute();
  return page === 'resume' || page === 'plan' ? page : null;
}
