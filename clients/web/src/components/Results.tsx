import { useCallback, useEffect, useState } from 'react';
import { useArena, useT } from '../useArena';
import type { LeaderboardEntry, Participant, Report, ReportAnswer } from '../types';
import { ArenaError } from '../api';
import { DimensionBars, FeedbackView } from './AnswerCard';
import { Avatar, colorFor, KindBadge, Spinner } from './common';
import { useArenaState } from '../useArena';
import { htranslate } from '../historyI18n';

export function Podium({ ranking, participants }: { ranking: LeaderboardEntry[]; participants: Participant[] }) {
  const t = useT();
  const top = ranking.slice(0, 3);
  const byId = new Map(participants.map((p) => [p.participant_id, p]));
  // Visual order 2-1-3.
  const order = [top[1], top[0], top[2]].filter(Boolean) as LeaderboardEntry[];
  return (
    <div className="podium" aria-label={t('results.podium')}>
      {order.map((e) => (
        <div key={e.participant_id} className={`podium-step step-${e.rank}`}>
          <div className="podium-who">
            {e.rank === 1 && <span className="crown" aria-hidden="true">👑</span>}
            <Avatar id={e.participant_id} name={e.display_name} kind={e.kind} personaId={byId.get(e.participant_id)?.persona_id} size={e.rank === 1 ? 64 : 52} />
            <span className="podium-name">{e.display_name} <KindBadge kind={e.kind} /></span>
            <span className="podium-score">{Math.round(e.score)}</span>
          </div>
          <div className="podium-block" aria-hidden="true">{e.rank}</div>
        </div>
      ))}
    </div>
  );
}

/** Score (0–100) per question for every participant, as an SVG line chart. */
export function ScoreChart({ report }: { report: Report }) {
  const t = useT();
  const qs = [...report.questions].sort((a, b) => a.index - b.index);
  const people = report.ranking.length ? report.ranking : report.participants.map((p, i) => ({ ...p, score: 0, rank: i + 1 }) as LeaderboardEntry);
  const W = 640;
  const H = 260;
  const pad = { l: 36, r: 16, t: 14, b: 30 };
  const iw = W - pad.l - pad.r;
  const ih = H - pad.t - pad.b;
  const x = (i: number) => pad.l + (qs.length <= 1 ? iw / 2 : (i * iw) / (qs.length - 1));
  const y = (v: number) => pad.t + ih - (Math.max(0, Math.min(100, v)) / 100) * ih;
  const byPid = new Map(report.participants.map((p) => [p.participant_id, p]));
  return (
    <figure className="chart card">
      <figcaption className="section-title">{t('results.chart')}</figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={t('results.chartLabel')} data-testid="score-chart">
        {[0, 25, 50, 75, 100].map((v) => (
          <g key={v}>
            <line x1={pad.l} x2={W - pad.r} y1={y(v)} y2={y(v)} className="grid" />
            <text x={pad.l - 8} y={y(v) + 4} textAnchor="end" className="axis">{v}</text>
          </g>
        ))}
        {qs.map((q, i) => (
          <text key={q.question_id} x={x(i)} y={H - 8} textAnchor="middle" className="axis">
            {t('results.q', { i: i + 1 })}
          </text>
        ))}
        {people.map((p) => {
          const color = colorFor(p.participant_id, byPid.get(p.participant_id)?.persona_id);
          const pts = qs
            .map((q, i) => {
              const a = q.answers.find((x) => x.participant_id === p.participant_id);
              return a ? [x(i), y(a.score)] : null;
            })
            .filter(Boolean) as number[][];
          if (!pts.length) return null;
          return (
            <g key={p.participant_id} className="series" style={{ color }}>
              <polyline points={pts.map((pt) => pt.join(',')).join(' ')} fill="none" stroke="currentColor" strokeWidth={p.kind === 'human' ? 3.5 : 2} strokeDasharray={p.kind === 'ai' ? '6 4' : undefined} />
              {pts.map((pt, i) => (
                <circle key={i} cx={pt[0]} cy={pt[1]} r={4} fill="currentColor" />
              ))}
            </g>
          );
        })}
      </svg>
      <ul className="legend">
        {people.map((p) => (
          <li key={p.participant_id}>
            <span className="swatch" style={{ background: colorFor(p.participant_id, byPid.get(p.participant_id)?.persona_id) }} />
            {p.display_name}
          </li>
        ))}
      </ul>
    </figure>
  );
}

function best(answers: ReportAnswer[]): ReportAnswer | undefined {
  return answers.reduce<ReportAnswer | undefined>((b, a) => (!b || a.score > b.score ? a : b), undefined);
}

export function ResultsView({ report, myId }: { report: Report; myId: string | null }) {
  const arena = useArena();
  const t = useT();
  const lang = useArenaState((s) => s.lang);
  const qs = [...report.questions].sort((a, b) => a.index - b.index);
  const ranking = [...report.ranking].sort((a, b) => a.rank - b.rank);
  const nameOf = new Map<string, string>([
    ...report.participants.map((p) => [p.participant_id, p.display_name] as [string, string]),
    ...ranking.map((r) => [r.participant_id, r.display_name] as [string, string]),
  ]);
  return (
    <section className="results">
      <div className="results-head">
        <div>
          <p className="eyebrow">{t('results.title')}</p>
          <h1>{report.title}</h1>
          {report.end_reason && report.end_reason !== 'completed' && (
            <p className="muted">{report.end_reason === 'ended_by_host' ? t('results.endedByHost') : t('results.endedEarly')}</p>
          )}
        </div>
        <div className="inline">
          <a className="btn btn-secondary" href={`#/replay/${report.room_id}`} onClick={() => arena.closeResults()} data-testid="open-replay">
            ⟲ {htranslate(lang, 'history.replay')}
          </a>
          <button type="button" className="btn btn-primary" onClick={() => arena.closeResults()} data-testid="back-to-lobby">
            {t('results.backLobby')}
          </button>
        </div>
      </div>

      <Podium ranking={ranking} participants={report.participants} />

      <ol className="final-ranking card" data-testid="final-ranking" aria-label={t('results.rank')}>
        {ranking.map((r) => (
          <li key={r.participant_id} data-participant={r.participant_id} data-rank={r.rank} className={r.participant_id === myId ? 'me' : ''}>
            <span className="board-rank">{r.rank}</span>
            <span className="fr-name">{r.display_name} <KindBadge kind={r.kind} /></span>
            <span className="board-score">{Math.round(r.score)}</span>
          </li>
        ))}
      </ol>

      <ScoreChart report={report} />

      <div className="card table-wrap">
        <h2 className="section-title">{t('results.table')}</h2>
        <table className="score-table">
          <thead>
            <tr>
              <th scope="col">{t('results.participant')}</th>
              {qs.map((q, i) => (
                <th scope="col" key={q.question_id} title={q.text}>{t('results.q', { i: i + 1 })}</th>
              ))}
              <th scope="col">{t('results.total')}</th>
            </tr>
          </thead>
          <tbody>
            {ranking.map((r) => (
              <tr key={r.participant_id} className={r.participant_id === myId ? 'me' : ''}>
                <th scope="row">{r.display_name}</th>
                {qs.map((q) => {
                  const a = q.answers.find((x) => x.participant_id === r.participant_id);
                  const b = best(q.answers);
                  return (
                    <td key={q.question_id} className={a && b && a.answer_id === b.answer_id ? 'best' : ''}>
                      {a ? Math.round(a.score) : '–'}
                    </td>
                  );
                })}
                <td className="total">{Math.round(r.score)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      {myId && (
        <section className="compare">
          <h2 className="section-title">{t('results.compare')}</h2>
          {qs.map((q, i) => {
            const mine = q.answers.find((a) => a.participant_id === myId);
            const top = best(q.answers);
            const same = mine && top && mine.answer_id === top.answer_id;
            return (
              <article key={q.question_id} className="compare-q card">
                <h3>
                  <span className="q-index">{t('results.q', { i: i + 1 })}</span> {q.text}
                </h3>
                <div className="compare-cols">
                  <div className="compare-col">
                    <h4>{t('results.yours')} {mine && <span className="score-inline">{Math.round(mine.score)}</span>}</h4>
                    <p className="answer-text">{mine?.text || t('results.noAnswer')}</p>
                    {mine?.dimensions && <DimensionBars dims={mine.dimensions} />}
                    {mine?.feedback && <FeedbackView feedback={mine.feedback} />}
                  </div>
                  <div className="compare-col compare-best">
                    {same ? (
                      <p className="best-you">🏅 {t('results.bestIsYou')}</p>
                    ) : top ? (
                      <>
                        <h4>
                          {t('results.best')} · {nameOf.get(top.participant_id) ?? top.participant_id} <span className="score-inline">{Math.round(top.score)}</span>
                        </h4>
                        <p className="answer-text">{top.text}</p>
                        {top.dimensions && <DimensionBars dims={top.dimensions} />}
                      </>
                    ) : (
                      <p className="muted">{t('results.noAnswer')}</p>
                    )}
                  </div>
                </div>
              </article>
            );
          })}
        </section>
      )}
    </section>
  );
}

/** Loads the report (retrying while the server finishes it) and shows it. */
export function Results({ roomId, waiting = false }: { roomId: string; waiting?: boolean }) {
  const arena = useArena();
  const t = useT();
  const [report, setReport] = useState<Report | null>(null);
  const [failed, setFailed] = useState<string | null>(null);

  const load = useCallback(async () => {
    setFailed(null);
    for (let attempt = 0; attempt < 6; attempt++) {
      try {
        const r = await arena.fetchReport(roomId);
        setReport(r);
        return;
      } catch (e) {
        const err = e as ArenaError;
        if (err.code === 'unauthorized') {
          arena.showError(err);
          break;
        }
        if (err.status === 404 && arena.myId() === null) {
          // A spectator: the report is private to the participants (docs/reports.md).
          setFailed(htranslate(arena.getState().lang, 'results.private'));
          return;
        }
        if (attempt === 5) {
          setFailed(`${t('results.failed')} (${err.status ?? err.code})`);
          return;
        }
        await new Promise((r) => setTimeout(r, 600 * (attempt + 1)));
      }
    }
    setFailed(t('results.failed'));
  }, [arena, roomId, t]);

  useEffect(() => {
    // While the server is still saving the match (no session_complete yet), wait.
    if (!waiting) {
      load();
      return;
    }
    const id = setTimeout(load, 8000);
    return () => clearTimeout(id);
  }, [load, waiting]);

  if (report) return <ResultsView report={report} myId={arena.myId()} />;
  return (
    <section className="results">
      {failed ? (
        <div className="card empty" role="alert">
          <p>{failed}</p>
          <div className="inline">
            <button type="button" className="btn btn-primary" onClick={load}>{t('results.retry')}</button>
            <button type="button" className="btn btn-ghost" onClick={() => arena.closeResults()}>{t('results.backLobby')}</button>
          </div>
        </div>
      ) : (
        <Spinner label={t('results.loading')} />
      )}
    </section>
  );
}
