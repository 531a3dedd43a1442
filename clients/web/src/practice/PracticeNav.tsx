// Links between the lobby and the practice pages (hash routes).
import { usePT } from './i18n';
import type { PracticeRoute } from './route';

export function PracticeNav({ route }: { route: PracticeRoute }) {
  const t = usePT();
  const link = (href: string, label: string, on: boolean) => (
    <a href={href} className={`btn ${on ? 'btn-primary' : 'btn-ghost'}`} aria-current={on ? 'page' : undefined}>
      {label}
    </a>
  );
  return (
    <nav className="inline practice-nav" aria-label="practice" data-testid="practice-nav">
      {link('#/', t('nav.lobby'), route === null)}
      {link('#/resume', t('nav.resume'), route === 'resume')}
      {link('#/plan', t('nav.plan'), route === 'plan')}
    </nav>
  );
}
