// Outside a room: the lobby, or a practice page by hash route (#/resume, #/plan), with links between them.
import type { ReactNode } from 'react';
import { PlanPage } from './PlanPage';
import { PracticeNav } from './PracticeNav';
import { ResumePage } from './ResumePage';
import { useHashRoute } from './route';

export function PracticeScreen({ lobby }: { lobby: ReactNode }) {
  const route = useHashRoute();
  return (
    <>
      <PracticeNav route={route} />
      {route === 'resume' ? <ResumePage /> : route === 'plan' ? <PlanPage /> : lobby}
    </>
  );
}
