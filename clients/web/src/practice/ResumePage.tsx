// #/resume: upload a résumé or job posting, watch generation progress (SSE), see the tailored
// questions, and create a room that asks them.
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { useArena, useArenaState } from '../useArena';
import { practiceApi, type JobEvent, type TailoredQuestion } from './api';
import { usePT } from './i18n';

type Upload = { resume_id: string; filename: string; language: string; doc_kind: string; questions: number; created_at: string };

export function ResumePage() {
  const arena = useArena();
  const t = usePT();
  const token = useArenaState((s) => s.auth?.token ?? null);
  const lang = useArenaState((s) => s.lang);
  const [file, setFile] = useState<File | null>(null);
  const [busy, setBusy] = useState(false);
  const [job, setJob] = useState<JobEvent | null>(null);
  const [current, setCurrent] = useState<string | null>(null);
  const [questions, setQuestions] = useState<TailoredQuestion[]>([]);
  const [uploads, setUploads] = useState<Upload[]>([]);
  const [count, setCount] = useState(5);

  const refresh = useCallback(async () => {
    try {
      setUploads((await practiceApi.list(token)).resumes);
    } catch (e) {
      arena.showError(e);
    }
  }, [arena, token]);
  useEffect(() => {
    refresh();
  }, [refresh]);

  const show = useCallback(
    async (id: string) => {
      setCurrent(id);
      try {
        setQuestions((await practiceApi.questions(token, id, lang)).questions);
      } catch (e) {
        arena.showError(e);
      }
    },
    [arena, token, lang],
  );
  useEffect(() => {
    if (current && (!job || job.state === 'done')) show(current);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [lang]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!file) return;
    setBusy(true);
    setQuestions([]);
    try {
      const up = await practiceApi.upload(token, file);
      setCurrent(up.resume_id);
      setJob({ job_id: up.job_id, state: 'queued', progress: 0 });
      practiceApi.follow(token, up.job_id, (ev) => {
        setJob(ev);
        if (ev.state === 'done') {
          show(up.resume_id);
          refresh();
        }
      });
    } catch (err) {
      arena.showError(err);
    } finally {
      setBusy(false);
    }
  }

  async function remove(id: string) {
    try {
      await practiceApi.remove(token, id);
      if (current === id) {
        setCurrent(null);
        setQuestions([]);
      }
      refresh();
    } catch (e) {
      arena.showError(e);
    }
  }

  async function createRoom() {
    if (!current) return;
    const personas = (await arena.http.personas(lang).catch(() => [])).slice(0, 2).map((p) => ({ id: p.id, skill: 3 }));
    await arena.createRoom({
      title: t('resume.roomTitle'),
      personas,
      question_count: Math.min(count, questions.length || count),
      language: lang,
      turn_mode: 'round_robin',
      answer_seconds: 90,
      max_humans: 4,
      private: true,
      question_source: { resume_id: current },
    } as any);
  }

  const generating = job && (job.state === 'queued' || job.state === 'running');
  return (
    <section className="card practice" data-testid="resume-page">
      <h2>{t('resume.title')}</h2>
      <p className="muted">{t('resume.hint')}</p>
      <form onSubmit={submit} className="inline">
        <label>
          {t('resume.file')}{' '}
          <input type="file" accept=".pdf,.docx,.txt,.md" data-testid="resume-file" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        </label>
        <button type="submit" className="btn btn-primary" disabled={!file || busy || !!generating} data-testid="resume-upload">
          {busy ? t('resume.uploading') : t('resume.upload')}
        </button>
      </form>
      {job && (
        <div className="job" aria-live="polite">
          <progress max={100} value={job.progress} data-testid="resume-progress" />{' '}
          {job.state === 'failed' ? t('resume.failed', { error: job.error ?? '' }) : t('resume.progress', { p: job.progress })}
        </div>
      )}
      {questions.length > 0 && (
        <>
          <h3>{t('resume.questions', { n: questions.length })}</h3>
          <div className="inline">
            <label>
              {t('resume.count')}{' '}
              <input type="number" data-testid="resume-count" min={1} max={Math.min(20, questions.length)} value={count} onChange={(e) => setCount(Number(e.target.value) || 1)} />
            </label>
            <button type="button" className="btn btn-primary" onClick={createRoom} data-testid="resume-create-room">
              {t('resume.createRoom')}
            </button>
          </div>
          <ol className="tailored" data-testid="resume-questions">
            {questions.map((q) => (
              <li key={q.question_id}>
                <p>
                  <strong>{q.text}</strong>{' '}
                  <span className="badge">{t(`resume.source.${q.source?.kind ?? 'bank'}` as any)}</span>{' '}
                  {q.relevance != null && <span className="muted">{t('resume.relevance', { r: q.relevance.toFixed(2) })}</span>}
                </p>
                <details>
                  <summary>{t('resume.keyPoints')}</summary>
                  <ul>{q.key_points.map((k) => <li key={k}>{k}</li>)}</ul>
                  {q.red_flags.length > 0 && (
                    <>
                      <p className="muted">{t('resume.redFlags')}</p>
                      <ul>{q.red_flags.map((k) => <li key={k}>{k}</li>)}</ul>
                    </>
                  )}
                </details>
              </li>
            ))}
          </ol>
        </>
      )}
      <h3>{t('resume.mine')}</h3>
      {uploads.length === 0 ? (
        <p className="muted">{t('resume.none')}</p>
      ) : (
        <ul className="uploads">
          {uploads.map((u) => (
            <li key={u.resume_id}>
              {u.filename} · {u.doc_kind} · {u.language} · {u.questions}{' '}
              <button type="button" className="btn btn-ghost" onClick={() => show(u.resume_id)}>{t('resume.show')}</button>
              <button type="button" className="btn btn-ghost" onClick={() => remove(u.resume_id)}>{t('resume.delete')}</button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
