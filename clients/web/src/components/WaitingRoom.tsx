import { useState } from 'react';
import { useArena, useT } from '../useArena';
import type { ClientRoom } from '../roomSync';
import type { Participant } from '../types';
import { Avatar } from './common';

function Seat({ p, room, myId }: { p: Participant; room: ClientRoom; myId: string | null }) {
  const arena = useArena();
  const t = useT();
  const isMe = p.participant_id === myId;
  const iAmHost = !!myId && room.host_id === myId && room.you.role === 'player';
  const isHost = !!p.is_host || room.host_id === p.participant_id;
  // The host starts the match and needs no ready mark.
  const ready = p.kind === 'ai' || !!p.ready || isHost;
  return (
    <li className={`seat ${ready ? 'seat-ready' : ''} ${isMe ? 'seat-me' : ''} presence-${p.presence ?? 'online'}`} data-participant={p.participant_id}>
      <Avatar id={p.participant_id} name={p.display_name} kind={p.kind} personaId={p.persona_id} size={48} />
      <div className="seat-info">
        <div className="seat-name">
          {p.display_name}
          {isMe && <span className="badge badge-me">{t('room.you')}</span>}
          {isHost && <span className="badge badge-host">{t('room.host')}</span>}
        </div>
        <div className="seat-sub">
          {p.kind === 'ai' ? (
            <>
              {p.company && <span>{p.company}</span>}
              {p.skill != null && <span className="stars" aria-label={`${t('create.skill')} ${p.skill}/5`}>{'★'.repeat(p.skill)}{'☆'.repeat(Math.max(0, 5 - p.skill))}</span>}
            </>
          ) : p.presence === 'away' ? (
            <span className="away">{t('room.away')}</span>
          ) : null}
        </div>
      </div>
      <span className={`ready-pill ${ready ? 'on' : ''}`}>{ready ? t('room.ready') : t('room.notReady')}</span>
      {iAmHost && !isMe && p.kind === 'human' && (
        <button type="button" className="icon-btn kick" aria-label={t('room.kickLabel', { name: p.display_name })} title={t('room.kick')} onClick={() => arena.kick(p.participant_id)}>
          ⨯
        </button>
      )}
    </li>
  );
}

export function WaitingRoom({ room }: { room: ClientRoom }) {
  const arena = useArena();
  const t = useT();
  const [copied, setCopied] = useState(false);
  const [starting, setStarting] = useState(false);
  const myId = arena.myId();
  const spectator = room.you.role === 'spectator';
  const humans = room.participants.filter((p) => p.kind === 'human' && p.presence !== 'left');
  const ais = room.participants.filter((p) => p.kind === 'ai');
  const me = room.participants.find((p) => p.participant_id === myId);
  const iAmHost = !spectator && !!myId && room.host_id === myId;
  const empty = Math.max(0, (room.settings.max_humans || 0) - humans.length);
  const mode = room.settings.turn_mode === 'simultaneous' ? t('create.simultaneous') : t('create.roundRobin');

  async function copy() {
    if (!room.join_code) return;
    try {
      await navigator.clipboard?.writeText(room.join_code);
      setCopied(true);
      setTimeout(() => setCopied(false), 1500);
    } catch {
      /* clipboard blocked: the code is visible anyway */
    }
  }

  return (
    <section className="waiting">
      <div className="waiting-head">
        <div>
          <p className="eyebrow">{spectator ? t('room.spectating') : t('room.waiting')}</p>
          <h1>{room.title}</h1>
          <p className="muted">
            {t('room.settings', { q: room.settings.question_count, s: room.settings.answer_seconds, mode })} · {room.settings.language?.toUpperCase()}
            {room.spectators > 0 && <> · {t('room.spectators', { n: room.spectators })}</>}
          </p>
        </div>
        {room.join_code && (
          <div className="join-code-box">
            <span className="eyebrow">{t('room.joinCode')}</span>
            <code className="join-code" data-testid="join-code">{room.join_code}</code>
            <button type="button" className="btn btn-sm btn-ghost" onClick={copy} aria-label={`${t('room.copy')} ${t('room.joinCode')}`}>
              {copied ? t('room.copied') : t('room.copy')}
            </button>
          </div>
        )}
      </div>

      <div className="seat-columns">
        <div>
          <h2 className="section-title">{t('room.humans')} <span className="muted">{humans.length}/{room.settings.max_humans}</span></h2>
          <ul className="seats">
            {humans.map((p) => (
              <Seat key={p.participant_id} p={p} room={room} myId={myId} />
            ))}
            {Array.from({ length: empty }).map((_, i) => (
              <li key={`empty-${i}`} className="seat seat-empty" aria-label={t('room.emptySeat')}>
                <span className="avatar avatar-empty" aria-hidden="true">＋</span>
                <span className="muted">{t('room.emptySeat')}</span>
              </li>
            ))}
          </ul>
        </div>
        <div>
          <h2 className="section-title">{t('room.ai')} <span className="muted">{ais.length}</span></h2>
          <ul className="seats">
            {ais.map((p) => (
              <Seat key={p.participant_id} p={p} room={room} myId={myId} />
            ))}
          </ul>
        </div>
      </div>

      <div className="action-bar">
        <button type="button" className="btn btn-ghost" onClick={() => arena.leaveRoom()}>
          {t('room.leave')}
        </button>
        {!spectator && me && !iAmHost && (
          <button
            type="button"
            className={`btn ${me.ready ? 'btn-secondary' : 'btn-success'}`}
            aria-pressed={!!me.ready}
            onClick={() => arena.setReady(!me.ready)}
            data-testid="ready-toggle"
          >
            {me.ready ? t('room.unsetReady') : t('room.setReady')}
          </button>
        )}
        {iAmHost ? (
          <button
            type="button"
            className="btn btn-primary btn-lg"
            disabled={starting}
            onClick={async () => {
              setStarting(true);
              await arena.startMatch();
              setStarting(false);
            }}
            data-testid="start-match"
          >
            {starting ? t('room.starting') : t('room.start')}
          </button>
        ) : (
          <span className="muted wait-host" role="status">{t('room.waitHost')}</span>
        )}
      </div>
    </section>
  );
}
