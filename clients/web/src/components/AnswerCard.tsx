import { useEffect, useState } from 'react';
import { useArenaState, useT } from '../useArena';
import { dimLabel } from '../i18n';
import type { Answer, Participant } from '../types';
import { Avatar, KindBadge } from './common';

export function FeedbackView({ feedback }: { feedback: Answer['feedback'] }) {
  if (feedback == null || feedback === '') return null;
  if (typeof feedback === 'string') return <p className="feedback">{feedback}</p>;
  if (Array.isArray(feedback)) {
    return (
      <ul className="feedback">
        {feedback.map((f, i) => (
          <li key={i}>{String(f)}</li>
        ))}
      </ul>
    );
  }
  return (
    <dl className="feedback">
      {Object.entries(feedback).map(([k, v]) => (
        <div key={k}>
          <dt>{k.replace(/_/g, ' ')}</dt>
          <dd>{Array.isArray(v) ? v.map(String).join(' · ') : typeof v === 'object' && v ? JSON.stringify(v) : String(v)}</dd>
        </div>
      ))}
    </dl>
  );
}

export function DimensionBars({ dims }: { dims: Record<string, number> }) {
  const lang = useArenaState((s) => s.lang);
  return (
    <ul className="dims">
      {Object.entries(dims).map(([k, v]) => (
        <li key={k}>
          <span className="dim-name">{dimLabel(lang, k)}</span>
          <span className="dim-bar" role="meter" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(v)} aria-label={dimLabel(lang, k)}>
            <span style={{ width: `${Math.max(0, Math.min(100, v))}%` }} />
          </span>
          <span className="dim-val">{Math.round(v)}</span>
        </li>
      ))}
    </ul>
  );
}

/** Counts up from 0 to the score when it first appears. */
function ScoreBadge({ score }: { score: number }) {
  const t = useT();
  const [shown, setShown] = useState(0);
  useEffect(() => {
    const start = performance.now();
    let raf = 0;
    const step = (now: number) => {
      const k = Math.min(1, (now - start) / 700);
      setShown(Math.round(score * (1 - Math.pow(1 - k, 3))));
      if (k < 1) raf = requestAnimationFrame(step);
    };
    raf = requestAnimationFrame(step);
    return () => cancelAnimationFrame(raf);
  }, [score]);
  const tier = score >= 80 ? 'hi' : score >= 60 ? 'mid' : 'lo';
  return (
    <span className={`score-badge tier-${tier}`} aria-label={`${t('match.score')} ${Math.round(score)}`} data-score={Math.round(score)}>
      {shown}
    </span>
  );
}

export function AnswerCard({ p, answer, draft, active, isMe, label }: { p: Participant | undefined; answer?: Answer; draft?: string; active?: boolean; isMe?: boolean; label?: string }) {
  const t = useT();
  const name = p?.display_name ?? answer?.participant_id ?? '?';
  const kind = p?.kind ?? 'human';
  const text = answer?.text || draft || '';
  const streaming = !answer && !!draft;
  const scored = typeof answer?.score === 'number';
  return (
    <article className={`answer ${active ? 'answer-active' : ''} ${isMe ? 'answer-me' : ''} ${scored ? 'answer-scored' : ''}`} data-participant={p?.participant_id} data-follow-up={label ? 'true' : undefined} aria-live={active ? 'polite' : undefined}>
      <header className="answer-head">
        <Avatar id={p?.participant_id ?? name} name={name} kind={kind} personaId={p?.persona_id} size={34} />
        <div className="answer-who">
          <span className="answer-name">{name} <KindBadge kind={kind} /></span>
          {p?.company && <span className="muted small">{p.company}</span>}
        </div>
        {label && <span className="chip">{label}</span>}
        {answer?.skipped ? (
          <span className="chip chip-warn">{t('match.skipped')}</span>
        ) : answer?.auto_submitted ? (
          <span className="chip chip-warn" title={t('match.autoSubmittedHint')}>⏱ {t('match.autoSubmitted')}</span>
        ) : null}
        {scored && <ScoreBadge score={answer!.score as number} />}
      </header>
      {text ? (
        <p className={`answer-text ${streaming ? 'streaming' : ''}`}>{text}</p>
      ) : active ? (
        <p className="answer-text muted thinking">
          <span className="dots" aria-hidden="true"><i /><i /><i /></span> {kind === 'ai' ? t('match.thinking') : t('match.typing')}
        </p>
      ) : null}
      {scored && answer?.dimensions && Object.keys(answer.dimensions).length > 0 && <DimensionBars dims={answer.dimensions} />}
      {scored && answer?.feedback && (
        <details className="feedback-box" open={isMe}>
          <summary>{t('match.feedback')}</summary>
          <FeedbackView feedback={answer.feedback} />
        </details>
      )}
    </article>
  );
}
