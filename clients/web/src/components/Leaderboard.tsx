import { useLayoutEffect, useRef, useState } from 'react';
import { useT } from '../useArena';
import type { LeaderboardEntry, Participant } from '../types';
import { Avatar, KindBadge } from './common';

/**
 * Live ranking. Rows animate to their new place with FLIP: measure the old position, let React
 * re-order, then play a transform from old to new. Rank changes flash an arrow for a moment.
 */
export function Leaderboard({ entries, participants, myId, title }: { entries: LeaderboardEntry[]; participants: Participant[]; myId: string | null; title?: string }) {
  const t = useT();
  const rows = useRef(new Map<string, HTMLLIElement>());
  const lastTop = useRef(new Map<string, number>());
  const lastRank = useRef(new Map<string, number>());
  const [moves, setMoves] = useState<Record<string, 'up' | 'down'>>({});

  useLayoutEffect(() => {
    const changed: Record<string, 'up' | 'down'> = {};
    for (const e of entries) {
      const el = rows.current.get(e.participant_id);
      if (!el) continue;
      const top = el.offsetTop;
      const prev = lastTop.current.get(e.participant_id);
      if (prev != null && prev !== top && typeof el.animate === 'function') {
        el.animate([{ transform: `translateY(${prev - top}px)` }, { transform: 'translateY(0)' }], {
          duration: 600,
          easing: 'cubic-bezier(.2,.8,.2,1)',
        });
      }
      lastTop.current.set(e.participant_id, top);
      const pr = lastRank.current.get(e.participant_id);
      if (pr != null && pr !== e.rank) changed[e.participant_id] = e.rank < pr ? 'up' : 'down';
      lastRank.current.set(e.participant_id, e.rank);
    }
    if (Object.keys(changed).length) {
      setMoves(changed);
      const id = setTimeout(() => setMoves({}), 2500);
      return () => clearTimeout(id);
    }
  }, [entries]);

  const byId = new Map(participants.map((p) => [p.participant_id, p]));
  const max = Math.max(1, ...entries.map((e) => e.score));
  return (
    <section className="board card" aria-labelledby="board-title">
      <h2 id="board-title" className="section-title">{title ?? t('match.leaderboard')}</h2>
      <ol className="board-list" data-testid="leaderboard">
        {entries.map((e) => {
          const p = byId.get(e.participant_id);
          const mv = moves[e.participant_id];
          return (
            <li
              key={e.participant_id}
              ref={(el) => {
                if (el) rows.current.set(e.participant_id, el);
                else rows.current.delete(e.participant_id);
              }}
              className={`board-row ${e.participant_id === myId ? 'me' : ''} ${mv ? `moved-${mv}` : ''} rank-${e.rank}`}
              data-participant={e.participant_id}
              data-rank={e.rank}
              aria-label={`${e.rank}. ${e.display_name} ${Math.round(e.score)}`}
            >
              <span className="board-rank">{e.rank}</span>
              <Avatar id={e.participant_id} name={e.display_name} kind={e.kind} personaId={p?.persona_id} size={30} />
              <span className="board-name">
                <span className="board-name-text">{e.display_name}</span> <KindBadge kind={e.kind} />
                <span className="board-bar" aria-hidden="true"><span style={{ width: `${(e.score / max) * 100}%` }} /></span>
              </span>
              <span className="board-score">{Math.round(e.score)}</span>
              {mv && (
                <span className={`board-move ${mv}`} aria-label={mv === 'up' ? t('match.rankUp') : t('match.rankDown')}>
                  {mv === 'up' ? '▲' : '▼'}
                </span>
              )}
            </li>
          );
        })}
      </ol>
    </section>
  );
}
