// real_time_feedback for you (pace, pauses, volume, pitch, expression) as small toasts that fade
// after a few seconds. Advisory: expression is never scored, and is labelled so.
import { useEffect, useState } from 'react';
import { nudgeText } from '../i18n';
import type { RealtimeFeedback } from '../types';
import { useArenaState, useT } from '../useArena';

const SHOW_MS = 8000;
const ICONS: Record<string, string> = { pace: '⏱', volume: '🔊', pause: '⏸', pitch: '🎵', expression: '🙂' };

export function Nudges({ items, showMs = SHOW_MS }: { items: RealtimeFeedback[]; showMs?: number }) {
  const t = useT();
  const lang = useArenaState((s) => s.lang);
  const [now, setNow] = useState(() => Date.now());
  const [closed, setClosed] = useState<Set<string>>(() => new Set());
  const key = (f: RealtimeFeedback) => `${f.at}:${f.kind}:${f.message}`;
  const visible = items.filter((f) => now - f.at < showMs && !closed.has(key(f))).slice(-3);

  useEffect(() => {
    setNow(Date.now());
    if (!items.length) return;
    const id = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(id);
  }, [items]);

  // The live region stays mounted so screen readers announce new nudges.
  return (
    <ul className="nudges" aria-live="polite" aria-label={t('nudge.region')} data-testid="nudges">
      {visible.map((f) => (
        <li key={key(f)} className={`nudge nudge-${f.kind}`} data-kind={f.kind}>
          <span className="nudge-icon" aria-hidden="true">{ICONS[f.kind] ?? '💡'}</span>
          <span className="nudge-body">
            <span className="nudge-kind">{t(`nudge.${f.kind}` as any) !== `nudge.${f.kind}` ? t(`nudge.${f.kind}` as any) : f.kind}</span>
            {f.kind === 'expression' && <span className="chip nudge-advisory">{t('nudge.advisory')}</span>}
            <span className="nudge-msg">{nudgeText(lang, f.kind, f.message)}</span>
          </span>
          <button type="button" className="icon-btn" aria-label={t('toast.close')} onClick={() => setClosed(new Set([...closed, key(f)]))}>
            ×
          </button>
        </li>
      ))}
    </ul>
  );
}
