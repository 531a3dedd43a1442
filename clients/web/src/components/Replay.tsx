import { useEffect, useRef, useState } from 'react';
import { useArenaState } from '../useArena';
import { historyApi, saveBlob } from '../historyApi';
import { useHT } from '../historyI18n';
import type { Replay as ReplayT, ReplayAnswer, ShareLink, Word } from '../historyTypes';
import { DimensionBars, FeedbackView } from './AnswerCard';
import { COMPANY_NAMES, Spinner } from './common';

type Api = ReturnType<typeof historyApi>;

/** The transcript with the word being spoken highlighted while the recording plays. */
export function TimedTranscript({ words, time }: { words: Word[]; time: number }) {
  return (
    <p className="answer-text transcript" data-testid="transcript">
      {words.map((w, i) => (
        <span key={i} className={time >= w.start && time < w.end ? 'word now' : 'word'} data-start={w.start}>
          {w.word}{' '}
        </span>
      ))}
    </p>
  );
}

function Spoken({ api, answer }: { api: Api; answer: ReplayAnswer }) {
  const ht = useHT();
  const [url, setUrl] = useState<string | null>(null);
  const [time, setTime] = useState(-1);
  const audio = useRef<HTMLAudioElement>(null);
  useEffect(() => () => {
    if (url) URL.revokeObjectURL(url);
  }, [url]);
  async function load() {
    const blob = await api.blob(answer.recording_url!.replace(/\?share=.*$/, ''));
    setUrl(URL.createObjectURL(blob));
  }
  return (
    <div className="spoken">
      {url ? (
        <audio ref={audio} src={url} controls autoPlay onTimeUpdate={(e) => setTime(e.currentTarget.currentTime)} data-testid="recording" />
      ) : (
        <button type="button" className="btn btn-secondary btn-sm" onClick={load}>▶ {ht('replay.loadRecording')}</button>
      )}
      {answer.words?.length ? <TimedTranscript words={answer.words} time={time} /> : null}
    </div>
  );
}

function AnswerBlock({ api, answer, label }: { api: Api; answer: ReplayAnswer | null; label: string }) {
  const ht = useHT();
  if (!answer) return <p className="muted">{ht('replay.noAnswer')}</p>;
  return (
    <div className="compare-col">
      <h4>{label} <span className="score-inline">{Math.round(answer.score)}</span></h4>
      {answer.follow_up_question && <p className="muted">{answer.follow_up_question}</p>}
      {!(answer.spoken && answer.words?.length) && <p className="answer-text">{answer.text || ht('replay.noAnswer')}</p>}
      {answer.spoken && answer.recording_url && <Spoken api={api} answer={answer} />}
      {answer.dimensions && <DimensionBars dims={answer.dimensions} />}
      {answer.feedback && <FeedbackView feedback={answer.feedback} />}
    </div>
  );
}

function ShareBox({ api, roomId }: { api: Api; roomId: string }) {
  const ht = useHT();
  const [link, setLink] = useState<ShareLink | null>(null);
  const [revoked, setRevoked] = useState(false);
  return (
    <div className="share-box">
      {!link || revoked ? (
        <button type="button" className="btn btn-secondary btn-sm" data-testid="share-create"
                onClick={async () => { setLink(await api.share(roomId)); setRevoked(false); }}>
          {ht('replay.share')}
        </button>
      ) : (
        <div className="inline">
          <input readOnly value={link.share_url} aria-label={ht('replay.share')} data-testid="share-url" />
          <button type="button" className="btn btn-ghost btn-sm" onClick={() => navigator.clipboard?.writeText(link.share_url)}>{ht('replay.copy')}</button>
          <button type="button" className="btn btn-ghost btn-sm" data-testid="share-revoke"
                  onClick={async () => { await api.revoke(roomId, link.token); setRevoked(true); }}>{ht('replay.revoke')}</button>
        </div>
      )}
      <p className="muted small">{revoked ? ht('replay.revoked') : ht('replay.shareHint')}</p>
    </div>
  );
}

/** #/replay/<room_id>: the match question by question for one participant, exports, share links. */
export function Replay({ roomId, share, participant }: { roomId: string; share: string | null; participant: string | null }) {
  const ht = useHT();
  const lang = useArenaState((s) => s.lang);
  const token = useArenaState((s) => s.auth?.token ?? null);
  const api = historyApi(token, share);
  const [data, setData] = useState<ReplayT | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setData(null);
    historyApi(token, share).replay(roomId, participant ?? undefined).then(setData).catch((e) => setError(e.status === 404 ? ht('replay.notFound') : String(e.message)));
  }, [roomId, share, participant, token, ht]);

  if (error) return <section className="card empty" role="alert" data-testid="replay-error"><p>{error}</p><a className="btn btn-ghost" href="#/history">{ht('replay.back')}</a></section>;
  if (!data) return <Spinner label="…" />;
  return (
    <section className="results replay" data-testid="replay">
      <div className="results-head">
        <div>
          <p className="eyebrow">{data.viewer.via === 'share' ? ht('replay.viaShare') : data.viewer.via === 'coach' ? ht('replay.viaCoach') : ht('replay.title')}</p>
          <h1>{data.title}</h1>
          <p className="muted">{ht('replay.for', { name: data.subject.display_name })} · #{data.subject.rank ?? '–'} · {data.subject.score ?? 0}</p>
        </div>
        <div className="inline">
          <span className="muted small">{ht('replay.export')}:</span>
          {(['pdf', 'csv', 'json'] as const).map((f) => (
            <button key={f} type="button" className="btn btn-ghost btn-sm" data-testid={`export-${f}`}
                    onClick={async () => saveBlob(await api.blob(api.exportPath(roomId, f)), `report-${roomId}.${f}`)}>
              {f.toUpperCase()}
            </button>
          ))}
        </div>
      </div>
      {data.viewer.via === 'participant' && <ShareBox api={api} roomId={roomId} />}
      {data.questions.map((q) => (
        <article key={q.question_id} className="compare-q card" data-question={q.question_id}>
          <h3><span className="q-index">Q{q.index}</span> {q.text}</h3>
          <div className="compare-cols">
            <div>
              <AnswerBlock api={api} answer={q.answer} label={ht('replay.yours')} />
              {q.follow_up && <AnswerBlock api={api} answer={q.follow_up} label={ht('replay.followUp')} />}
            </div>
            <div className="compare-col compare-best">
              <h4>{ht('replay.keyPoints')}</h4>
              <ul className="key-points" data-testid="key-points">
                {q.key_points.map((k) => (
                  <li key={k.text} className={k.covered ? 'kp-covered' : 'kp-missed'}>
                    {k.covered ? '✓' : '✗'} {k.text} <span className="muted small">({ht(k.covered ? 'replay.covered' : 'replay.missed')})</span>
                  </li>
                ))}
              </ul>
              {q.model_answer && (
                <>
                  <h4>{ht('replay.model')}</h4>
                  <p className="muted small">{ht('replay.modelBy', { persona: COMPANY_NAMES[q.model_answer.persona_id]?.[lang] ?? q.model_answer.persona_id })}</p>
                  <p className="answer-text" data-testid="model-answer">{q.model_answer.text}</p>
                </>
              )}
              {q.best && q.best.participant_id !== data.subject.participant_id && (
                <p className="muted small">{ht('replay.best', { name: q.best.display_name, score: q.best.score })}</p>
              )}
            </div>
          </div>
        </article>
      ))}
      {data.notes && data.notes.length > 0 && (
        <section className="card">
          <h2 className="section-title">{ht('replay.notes')}</h2>
          <ul>{data.notes.map((n, i) => <li key={i}>{n.text}</li>)}</ul>
        </section>
      )}
    </section>
  );
}
