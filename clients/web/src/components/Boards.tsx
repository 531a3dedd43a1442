import { useEffect, useState } from 'react';
import { useArenaState } from '../useArena';
import { historyApi } from '../historyApi';
import { useHT } from '../historyI18n';
import type { BoardEntry, Boards as BoardsT } from '../historyTypes';
import { COMPANY_NAMES } from './common';

type Tab = 'week' | 'all' | 'ai';

/** The lobby's boards: humans per account (this week, all time) and AI candidates apart. */
export function Boards() {
  const ht = useHT();
  const lang = useArenaState((s) => s.lang);
  const myId = useArenaState((s) => s.auth?.user_id ?? null);
  const [boards, setBoards] = useState<BoardsT | null>(null);
  const [tab, setTab] = useState<Tab>('week');
  useEffect(() => {
    historyApi(null).boards().then(setBoards).catch(() => setBoards(null));
  }, []);
  if (!boards) return null;
  const rows: BoardEntry[] = tab === 'ai' ? boards.ai : boards.humans[tab];
  return (
    <section className="card boards" data-testid="boards">
      <h2 className="section-title">{ht('boards.title')}</h2>
      <div className="seg" role="tablist">
        {(['week', 'all', 'ai'] as Tab[]).map((k) => (
          <button key={k} type="button" role="tab" aria-selected={tab === k} className={tab === k ? 'on' : ''} onClick={() => setTab(k)}>
            {ht(k === 'ai' ? 'boards.ai' : k === 'week' ? 'boards.week' : 'boards.all')}
          </button>
        ))}
      </div>
      {rows.length === 0 ? (
        <p className="muted small">{ht('boards.empty')}</p>
      ) : (
        <ol className="board-list" data-board={tab}>
          {rows.map((e) => (
            <li key={`${e.participant_id}-${e.skill ?? ''}`} className={`board-row ${e.participant_id === myId ? 'me' : ''}`} data-participant={e.participant_id}>
              <span className="board-rank">{e.rank}</span>
              <span className="board-name">
                <span className="board-name-text">
                  {tab === 'ai' ? `${COMPANY_NAMES[e.persona_id ?? '']?.[lang] ?? e.display_name} · ${ht('boards.skill', { n: e.skill ?? '?' })}` : e.display_name}
                </span>{' '}
                <span className="muted small">{ht('boards.matches', { n: e.matches })}</span>
              </span>
              <span className="board-score">{Math.round(e.score)}</span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
