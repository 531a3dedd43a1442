import { useEffect, useState, type FormEvent } from 'react';
import { useArena, useArenaState, useT } from '../useArena';
import { download, ensureFresh, type CohortSummary } from '../account';
import { go } from '../route';
import type { MsgKey } from '../i18n';

interface DashAnswer {
  answer_id: string;
  question_index: number;
  question_text: string;
  text: string;
  score: number;
  skipped: boolean;
  follow_up_question: string | null;
  has_recording: boolean;
}
interface DashMatch {
  room_id: string;
  title: string;
  finished_at: string;
  score: number;
  rank: number | null;
  dimensions: Record<string, number>;
  answers: DashAnswer[];
}
interface Trend {
  mean: number;
  last: number;
  slope: number;
  series: number[];
}
interface Candidate {
  user_id: string;
  display_name: string;
  email: string;
  matches: DashMatch[];
  trend: Record<string, Trend>;
}
interface Dashboard {
  cohort_id: string;
  name: string;
  invite_code: string;
  candidates: Candidate[];
}

/** The dimension's name in the UI language (pace, pauses, … have no label yet: shown as they are). */
function dimLabel(t: ReturnType<typeof useT>, dim: string): string {
  const key = `dim.${dim}` as MsgKey;
  const s = t(key);
  return s === key ? dim : s;
}

/** A tiny inline trend line (0-100 scale). */
function Spark({ series }: { series: number[] }) {
  const w = 80;
  const h = 22;
  const pts = series.map((v, i) => `${series.length === 1 ? w / 2 : (i / (series.length - 1)) * w},${h - (v / 100) * h}`).join(' ');
  return (
    <svg width={w} height={h} viewBox={`0 0 ${w} ${h}`} aria-hidden="true" className="spark">
      <polyline points={pts} fill="none" stroke="currentColor" strokeWidth="2" />
    </svg>
  );
}

function CandidateCard({ c }: { c: Candidate }) {
  const t = useT();
  const lang = useArenaState((s) => s.lang);
  return (
    <article className="card coach-candidate" data-testid="coach-candidate">
      <h3>
        {c.display_name} <span className="hint">{c.email}</span>
      </h3>
      <p className="hint">{c.matches.length ? t('coach.matches', { n: c.matches.length }) : t('coach.noMatches')}</p>
      {Object.keys(c.trend).length > 0 && (
        <table className="trend-table">
          <caption>{t('coach.trend')}</caption>
          <tbody>
            {Object.entries(c.trend).map(([dim, tr]) => (
              <tr key={dim}>
                <th scope="row">{dimLabel(t, dim)}</th>
                <td>{tr.mean}</td>
                <td>
                  <Spark series={tr.series} />
                </td>
                <td className={tr.slope >= 0 ? 'up' : 'down'}>{t('coach.slope', { v: (tr.slope >= 0 ? '+' : '') + tr.slope })}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {c.matches.map((m) => (
        <details key={m.room_id} className="coach-match">
          <summary>
            {m.title} · {new Date(m.finished_at).toLocaleString(lang)} · {t('coach.points', { score: Math.round(m.score) })}
            {m.rank != null && ` · ${t('coach.rank', { rank: m.rank })}`}
          </summary>
          <ol>
            {m.answers.map((a) => (
              <li key={a.answer_id}>
                <p className="q">{a.follow_up_question ?? a.question_text}</p>
                <p className="a">{a.text}</p>
                <p className="hint">
                  {t('coach.score', { score: a.score })}
                  {a.has_recording && ` · ${t('coach.recording')}`}
                </p>
              </li>
            ))}
          </ol>
        </details>
      ))}
    </article>
  );
}

/** #/coach: the coach's cohorts, a new cohort, and the chosen cohort's dashboard (with CSV export). */
export function CoachPage() {
  const arena = useArena();
  const t = useT();
  const auth = useArenaState((s) => s.auth)!;
  const [cohorts, setCohorts] = useState<CohortSummary[] | null>(null);
  const [pick, setPick] = useState<string | null>(null);
  const [dash, setDash] = useState<Dashboard | null>(null);
  const [name, setName] = useState('');

  async function loadCohorts() {
    await ensureFresh(arena);
    try {
      const list = (await arena.http.request<{ cohorts: CohortSummary[] }>('GET', '/api/v1/cohorts')).cohorts.filter((c) => c.role === 'coach');
      setCohorts(list);
      if (list.length && !list.some((c) => c.cohort_id === pick)) setPick(list[0].cohort_id);
    } catch (e) {
      arena.showError(e);
    }
  }
  useEffect(() => {
    if (auth.role === 'coach') void loadCohorts();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [auth.user_id]);
  useEffect(() => {
    if (!pick) return;
    let live = true;
    (async () => {
      await ensureFresh(arena);
      try {
        const d = await arena.http.request<Dashboard>('GET', `/api/v1/cohorts/${encodeURIComponent(pick)}/dashboard`);
        if (live) setDash(d);
      } catch (e) {
        arena.showError(e);
      }
    })();
    return () => {
      live = false;
    };
  }, [pick, arena]);

  async function create(e: FormEvent) {
    e.preventDefault();
    if (!name.trim()) return;
    await ensureFresh(arena);
    try {
      const c = await arena.http.request<{ cohort_id: string }>('POST', '/api/v1/cohorts', { name: name.trim() });
      setName('');
      setPick(c.cohort_id);
      void loadCohorts();
    } catch (err) {
      arena.showError(err);
    }
  }

  if (auth.role !== 'coach')
    return (
      <section className="card empty">
        <p>{t('coach.notCoach')}</p>
        <button type="button" className="btn btn-primary" onClick={() => go('')}>
          {t('acct.back')}
        </button>
      </section>
    );
  return (
    <section className="coach-page" data-testid="coach-page">
      <div className="inline">
        <h1>{t('coach.title')}</h1>
        <button type="button" className="btn btn-ghost btn-sm" onClick={() => go('')}>
          {t('acct.back')}
        </button>
      </div>
      <div className="card inline">
        {cohorts && cohorts.length > 0 && (
          <label>
            {t('coach.pick')}{' '}
            <select value={pick ?? ''} onChange={(e) => setPick(e.target.value)}>
              {cohorts.map((c) => (
                <option key={c.cohort_id} value={c.cohort_id}>
                  {c.name} ({t('coach.members', { n: c.members ?? 0 })})
                </option>
              ))}
            </select>
          </label>
        )}
        <form onSubmit={create} className="inline">
          <label htmlFor="cohort-name">{t('coach.cohortName')}</label>
          <input id="cohort-name" value={name} maxLength={80} onChange={(e) => setName(e.target.value)} />
          <button type="submit" className="btn btn-primary btn-sm">
            {t('coach.create')}
          </button>
        </form>
      </div>
      {cohorts && cohorts.length === 0 && <p className="hint">{t('coach.none')}</p>}
      {dash && dash.cohort_id === pick && (
        <>
          <div className="inline">
            <h2>{dash.name}</h2>
            <code className="invite-code" data-testid="invite-code">{t('coach.code', { code: dash.invite_code })}</code>
            <button type="button" className="btn btn-ghost btn-sm" onClick={() => download(arena, `/api/v1/cohorts/${dash.cohort_id}/dashboard.csv`, `cohort-${dash.cohort_id}.csv`)}>
              {t('coach.csv')}
            </button>
          </div>
          {dash.candidates.length === 0 && <p className="hint">{t('coach.empty', { code: dash.invite_code })}</p>}
          {dash.candidates.map((c) => (
            <CandidateCard key={c.user_id} c={c} />
          ))}
        </>
      )}
    </section>
  );
}
