import { useEffect, useRef, useState } from 'react';
import { useArena, useArenaState, useT } from '../useArena';
import { leaderboardOf, type ClientRoom } from '../roomSync';
import { followUpKey } from '../arena';
import type { Answer, Participant } from '../types';
import { AnswerCard } from './AnswerCard';
import { Avatar } from './common';
import { CountdownRing } from './CountdownRing';
import { Leaderboard } from './Leaderboard';
import { MicPanel, type MicControl } from './MicPanel';
import { Nudges } from './Nudges';
import { applyAudio, applyEdit, applyStream, liveInit, shownText, type LiveText } from '../mic/transcript';

const MAX_CHARS = 4000;

function draftKey(roomId: string, qid: string) {
  return `arena.draft.${roomId}.${qid}`;
}

function AnswerBox({ room, myTurn, submitted, followUp }: { room: ClientRoom; myTurn: boolean; submitted: boolean; followUp?: boolean }) {
  const arena = useArena();
  const t = useT();
  // A follow-up answer is drafted (and saved across reloads) apart from the main answer.
  const qid = followUp ? followUpKey(room.question?.question_id ?? '') : room.question?.question_id ?? '';
  const myId = arena.myId() ?? '';
  const [text, setText] = useState(() => {
    let saved: string | null = null;
    try {
      saved = sessionStorage.getItem(draftKey(room.room_id, qid));
    } catch {
      /* storage off */
    }
    return saved ?? room.drafts[myId] ?? '';
  });
  const [busy, setBusy] = useState(false);
  const ref = useRef<HTMLTextAreaElement>(null);
  const mic = useRef<MicControl | null>(null);
  const [micLive, setMicLive] = useState(false);
  /** While speaking: the text the player owns plus the live partial transcript. */
  const live = useRef<LiveText | null>(null);
  const active = myTurn && !submitted;

  function save(v: string) {
    try {
      sessionStorage.setItem(draftKey(room.room_id, qid), v);
    } catch {
      /* ignore */
    }
  }

  // Transcripts: audio_processed (to the speaker) while the mic is on.
  useEffect(() => {
    if (!micLive) return;
    live.current = liveInit(text);
    const off = arena.onMedia((name, p) => {
      if (name !== 'audio_processed' || !live.current) return;
      live.current = applyAudio(live.current, p);
      const v = shownText(live.current).slice(0, MAX_CHARS);
      setText(v);
      save(v);
      // A final is settled text: keep the server's draft (and the other players' view) in step.
      if (p?.is_final) arena.sendDraft(v);
    });
    return () => {
      off();
      live.current = null;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [micLive]);

  // Our own answer_stream while speaking is the server's draft + partial (not an echo of typing).
  const myStream = room.drafts[myId];
  useEffect(() => {
    if (!micLive || !live.current || myStream == null || arena.isOwnDraft(myStream)) return;
    if (myStream === shownText(live.current)) return;
    live.current = applyStream(live.current, myStream);
    const v = shownText(live.current).slice(0, MAX_CHARS);
    setText(v);
    save(v);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [myStream, micLive]);

  // When the turn becomes ours, push what we already typed and focus the box.
  useEffect(() => {
    if (myTurn && !submitted) {
      if (text) arena.sendDraft(text);
      ref.current?.focus();
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [myTurn, submitted]);

  function change(v: string) {
    const next = v.slice(0, MAX_CHARS);
    setText(next);
    save(next);
    if (live.current) live.current = applyEdit(live.current, next);
    if (myTurn && !submitted) arena.sendDraft(next);
  }

  async function submit() {
    if (!myTurn || submitted || busy) return;
    mic.current?.stop();
    setBusy(true);
    const ok = await arena.submitAnswer(text);
    setBusy(false);
    if (ok) {
      try {
        sessionStorage.removeItem(draftKey(room.room_id, qid));
      } catch {
        /* ignore */
      }
    }
  }

  const disabled = submitted;
  return (
    <form
      className={`answer-box card ${myTurn && !submitted ? 'answer-box-live' : ''}`}
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <label htmlFor="answer-input" className="answer-box-label">
        {t('match.answerLabel')}
        {myTurn && !submitted && <span className="live-dot" aria-hidden="true" />}
      </label>
      <textarea
        id="answer-input"
        ref={ref}
        value={text}
        rows={5}
        readOnly={disabled}
        placeholder={t('match.answerPlaceholder')}
        onChange={(e) => change(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
            e.preventDefault();
            submit();
          }
        }}
        aria-describedby={followUp ? 'follow-up-text answer-help' : 'answer-help'}
      />
      {(active || micLive) && <MicPanel active={active} onLive={setMicLive} control={mic} />}
      <div className="answer-box-foot">
        <span id="answer-help" className="muted small">
          {submitted ? t('match.submitted') : myTurn ? t('match.chars', { n: text.length }) : t('match.waitTurn')}
        </span>
        <button type="submit" className="btn btn-primary" disabled={!myTurn || submitted || busy} data-testid="submit-answer">
          {t('match.submit')}
        </button>
      </div>
    </form>
  );
}

function TurnOrder({ room, order, currentId, myId }: { room: ClientRoom; order: string[]; currentId: string | null; myId: string | null }) {
  const t = useT();
  const byId = new Map(room.participants.map((p) => [p.participant_id, p]));
  const answered = new Set([...room.answers.map((a) => a.participant_id), ...room.locked]);
  return (
    <nav className="turn-order" aria-label={t('match.turnOrder')}>
      <ol>
        {order.map((id, i) => {
          const p = byId.get(id);
          const name = p?.display_name ?? id;
          return (
            <li
              key={id}
              className={`${id === currentId ? 'now' : ''} ${answered.has(id) ? 'done' : ''} ${id === myId ? 'me' : ''} presence-${p?.presence ?? 'online'}`}
              aria-current={id === currentId ? 'step' : undefined}
            >
              <span className="to-num">{i + 1}</span>
              <Avatar id={id} name={name} kind={p?.kind ?? 'human'} personaId={p?.persona_id} size={28} />
              <span className="to-name">{name}</span>
              {p?.presence === 'away' && <span className="to-away">{t('room.away')}</span>}
              {p?.presence === 'left' && <span className="to-away">{t('room.left')}</span>}
              {answered.has(id) && <span className="to-check" aria-label="✓">✓</span>}
            </li>
          );
        })}
      </ol>
    </nav>
  );
}

export function Match({ room }: { room: ClientRoom }) {
  const arena = useArena();
  const t = useT();
  const submittedMap = useArenaState((s) => s.submitted);
  const myId = arena.myId();
  const spectator = room.you.role === 'spectator';
  const q = room.question;
  const simultaneous = room.settings.turn_mode === 'simultaneous';
  const byId = new Map<string, Participant>(room.participants.map((p) => [p.participant_id, p]));
  const order = room.turn_order.length ? room.turn_order : room.participants.map((p) => p.participant_id);
  const currentId = room.phase === 'answering' ? room.turn?.participant_id ?? null : null;
  const mine = room.answers.find((a) => a.participant_id === myId && !a.follow_up_of);
  // Follow-up (round robin with follow_ups): shown to everyone under the question; the candidate it
  // is for answers it in the same answer box, as a second answer to the same question.
  const followUp = q && room.follow_up && (!room.follow_up.question_id || room.follow_up.question_id === q.question_id) ? room.follow_up : null;
  const followUpTurn = room.phase === 'answering' && !!room.turn?.follow_up;
  const myFollowUp = followUpTurn && !spectator && !!myId && currentId === myId;
  const myFollowUpAnswer = room.answers.find((a) => a.participant_id === myId && a.follow_up_of);
  const submitted = myFollowUp
    ? !!(q && (submittedMap[followUpKey(q.question_id)] || myFollowUpAnswer))
    : !!(q && (submittedMap[q.question_id] || mine));
  const myTurn = !spectator && room.phase === 'answering' && (simultaneous ? currentId == null || currentId === myId : currentId === myId);
  const iAmHost = !spectator && !!myId && room.host_id === myId;
  const deadline = room.phase === 'answering' && room.turn?.deadline_ms ? room.turn.deadline_ms : room.phase_ends_ms;
  const totalMs = room.phase === 'answering' ? room.settings.answer_seconds * 1000 : undefined;
  const currentName = currentId ? byId.get(currentId)?.display_name ?? currentId : '';

  let status: string;
  if (room.phase === 'countdown') status = t('match.getReady');
  else if (room.phase === 'question') status = t('match.getReady');
  else if (room.phase === 'answering') status = simultaneous ? t('match.everyone') : currentId === myId ? t('match.yourTurn') : t('match.turnOf', { name: currentName });
  else if (room.phase === 'scoring') status = t('match.scoring');
  else if (room.phase === 'reveal') status = t('match.reveal');
  else status = t(`phase.${room.phase}` as any);

  // Cards: in turn order, everyone who answered, is answering, or is drafting.
  type Card = { key: string; id: string; answer?: Answer; draft?: string; active: boolean; followUp?: boolean };
  const cards: Card[] = [];
  for (const id of order) {
    const answer = room.answers.find((a) => a.participant_id === id && !a.follow_up_of);
    const draft = room.drafts[id];
    const active = id === currentId && !answer;
    if (answer || draft || active) cards.push({ key: id, id, answer, draft: answer ? undefined : draft, active });
    if (followUp && followUp.participant_id === id) {
      // The follow-up answer (or its live draft) right after that candidate's main answer.
      const fa = room.answers.find((a) => a.participant_id === id && a.follow_up_of);
      const live = followUpTurn && currentId === id && !fa;
      if (fa || live) cards.push({ key: `${id}:follow-up`, id, answer: fa, draft: live ? draft : undefined, active: live, followUp: true });
    }
  }
  // Answers from someone not in the order (late joiners) still show.
  for (const a of room.answers) if (!order.includes(a.participant_id) && !a.follow_up_of) cards.push({ key: a.participant_id, id: a.participant_id, answer: a, active: false });
  const followUpName = followUp ? byId.get(followUp.participant_id)?.display_name ?? followUp.participant_id : '';

  const myFeedback = room.rtf.filter((f) => f.participant_id === myId);

  return (
    <section className={`match phase-${room.phase}`} data-phase={room.phase}>
      <div className="match-main">
        <div className="q-card card">
          <div className="q-meta">
            {q && <span className="q-index">{t('match.question', { i: q.index, n: q.total })}</span>}
            {q && <span className={`chip cat-${q.category}`}>{t(`cat.${q.category}` as any)}</span>}
            {spectator && <span className="badge badge-spec">{t('room.spectating')}</span>}
            {iAmHost && (
              <button
                type="button"
                className="btn btn-sm btn-ghost end-btn"
                onClick={() => {
                  if (window.confirm(t('match.endConfirm'))) arena.endSession();
                }}
              >
                {t('match.end')}
              </button>
            )}
          </div>
          <div className="q-body">
            <h1 className="q-text" data-testid="question-text" key={q?.question_id}>{q?.text ?? t('match.getReady')}</h1>
            {room.phase === 'scoring' ? (
              <span className="ring scoring-ring" role="status" aria-label={status}>
                <span className="spinner" aria-hidden="true" />
              </span>
            ) : (
              <CountdownRing deadlineMs={deadline} totalMs={totalMs} label={status} />
            )}
          </div>
          {followUp && (
            <div className="q-follow-up" data-testid="follow-up" role="group" aria-labelledby="follow-up-label">
              <p className="q-follow-up-head">
                <span className="q-follow-up-label" id="follow-up-label">{t('match.followUp')}</span>
                <span className="muted small">
                  {followUp.participant_id === myId ? t('match.followUpYours') : t('match.followUpFor', { name: followUpName })}
                </span>
              </p>
              <p className="q-follow-up-text" id="follow-up-text" key={followUp.text}>{followUp.text}</p>
            </div>
          )}
          <p className={`status-line ${myTurn && !submitted ? 'status-you' : ''}`} role="status" aria-live="polite" data-testid="match-status">
            {status}
          </p>
        </div>

        {order.length > 0 && <TurnOrder room={room} order={order} currentId={currentId} myId={myId} />}

        {!spectator && room.phase !== 'countdown' && q && (
          <AnswerBox
            key={`${room.room_id}:${q.question_id}${myFollowUp ? ':follow-up' : ''}`}
            room={room}
            myTurn={myTurn}
            submitted={submitted}
            followUp={myFollowUp}
          />
        )}

        <Nudges items={myFeedback} />

        <section className="answers" aria-label={t('match.answers')}>
          <h2 className="section-title">{t('match.answers')}</h2>
          {simultaneous && room.phase === 'answering' && <p className="muted">{t('match.hidden')}</p>}
          {cards.length === 0 ? (
            !simultaneous && <p className="muted">{t('match.noAnswers')}</p>
          ) : (
            cards.map((c) => (
              <AnswerCard key={c.key} p={byId.get(c.id)} answer={c.answer} draft={c.draft} active={c.active} isMe={c.id === myId} label={c.followUp ? t('match.followUp') : undefined} />
            ))
          )}
        </section>
      </div>
      <aside className="match-side">
        <Leaderboard entries={leaderboardOf(room)} participants={room.participants} myId={myId} />
        <button
          type="button"
          className="btn btn-ghost btn-block"
          onClick={() => {
            if (spectator || window.confirm(t('match.leaveConfirm'))) arena.leaveRoom();
          }}
        >
          {t('room.leave')}
        </button>
      </aside>
    </section>
  );
}
