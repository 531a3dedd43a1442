import { useEffect, useState } from 'react';
import { Bar, BarChart, CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useArenaState } from '../useArena';
import { dimLabel } from '../i18n';
import { historyApi } from '../historyApi';
import { useHT } from '../historyI18n';
import type { MatchSummary, Progress } from '../historyTypes';
import { Spinner } from './common';

const COLORS = ['#7c5cff', '#22d3ee', '#fbbf24', '#34d399', '#f472b6', '#60a5fa', '#f97316', '#a3e635'];
const CATEGORY: Record<string, [string, string]> = {
  behavioural: ['Behavioural', '인성'],
  technical: ['Technical', '기술'],
  culture_fit: ['Culture fit', '컬처 핏'],
  company: ['Company', '회사'],
};

function day(iso: string, lang: string) {
  return new Date(iso).toLocaleDateString(lang === 'ko' ? 'ko-KR' : 'en-GB', { month: 'short', day: 'numeric' });
}

/** #/history: the user's matches, scores by dimension over time and by category (Recharts). */
export function History() {
  const ht = useHT();
  const lang = useArenaState((s) => s.lang);
  const token = useArenaState((s) => s.auth?.token ?? null);
  const [matches, setMatches] = useState<MatchSummary[] | null>(null);
  const [progress, setProgress] = useState<Progress | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const api = historyApi(token);
    Promise.all([api.matches(), api.progress()])
      .then(([m, p]) => {
        setMatches(m.matches);
        setProgress(p);
      })
      .catch((e) => setError(String(e?.message ?? e)));
  }, [token]);

  if (error) return <section className="card empty" role="alert"><p>{error}</p></section>;
  if (!matches || !progress) return <Spinner label="…" />;
  const dims = Object.keys(progress.dimensions);
  const series = progress.matches.map((m, i) => ({ name: `${i + 1}. ${day(m.finished_at, lang)}`, ...m.dimensions }));
  const cats = Object.entries(progress.categories).map(([k, v]) => ({
    name: CATEGORY[k]?.[lang === 'ko' ? 1 : 0] ?? k,
    mean: v.mean,
  }));
  return (
    <section className="history" data-testid="history">
      <h1>{ht('history.title')}</h1>
      {matches.length === 0 ? (
        <div className="card empty"><p>{ht('history.empty')}</p></div>
      ) : (
        <>
          <div className="history-charts">
            <figure className="card chart" data-testid="chart-dimensions">
              <figcaption className="section-title">{ht('history.byDimension')}</figcaption>
              <ResponsiveContainer width="100%" height={260}>
                <LineChart data={series} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
                  <CartesianGrid strokeDasharray="3 3" stroke="rgba(255,255,255,0.12)" />
                  <XAxis dataKey="name" stroke="#9aa3b5" fontSize={12} />
                  <YAxis domain={[0, 100]} stroke="#9aa3b5" fontSize={12} />
                  <Tooltip />
                  {dims.map((d, i) => (
                    <Line key={d} type="monotone" dataKey={d} name={dimLabel(lang, d)} stroke={COLORS[i % COLORS.length]}
                          strokeWidth={2} dot isAnimationActive={false} connectNulls />
                  ))}
                </LineChart>
              </ResponsiveContainer>
              <ul className="legend">
                {dims.map((d, i) => (
                  <li key={d}><span className="swatch" style={{ background: COLORS[i % COLORS.length] }} />{dimLabel(lang, d)}: {progress.dimensions[d].mean} · {ht('history.trend', { delta: (progress.dimensions[d].delta >= 0 ? '+' : '') + progress.dimensions[d].delta })}</li>
                ))}
              </ul>
            </figure>
            <figure className="card chart" data-testid="chart-categories">
              <figcaption className="section-title">{ht('history.byCategory')}</figcaption>
              <ResponsiveContainer width="100%" height={220}>
                <BarChart data={cats} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
                  <CartesianGrid strokeDasharray="3 3" stroke="rgba(255,255,255,0.12)" />
                  <XAxis dataKey="name" stroke="#9aa3b5" fontSize={12} />
                  <YAxis domain={[0, 100]} stroke="#9aa3b5" fontSize={12} />
                  <Tooltip />
                  <Bar dataKey="mean" fill="#7c5cff" isAnimationActive={false} />
                </BarChart>
              </ResponsiveContainer>
            </figure>
          </div>
          <div className="card table-wrap">
            <h2 className="section-title">{ht('history.matches')}</h2>
            <table className="score-table" data-testid="history-matches">
              <thead>
                <tr>
                  <th scope="col">{ht('history.when')}</th>
                  <th scope="col">{ht('replay.title')}</th>
                  <th scope="col">{ht('history.rank')}</th>
                  <th scope="col">{ht('history.score')}</th>
                  <th scope="col">{ht('history.mean')}</th>
                </tr>
              </thead>
              <tbody>
                {matches.map((m) => (
                  <tr key={m.room_id} data-room-id={m.room_id}>
                    <td>{day(m.finished_at, lang)}</td>
                    <th scope="row"><a href={`#/replay/${m.room_id}`}>{m.title}</a></th>
                    <td>{m.rank ?? '–'} / {m.players}</td>
                    <td>{Math.round(m.score)}</td>
                    <td>{m.mean_score ?? '–'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
