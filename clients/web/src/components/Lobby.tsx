import { useEffect, useState, type FormEvent } from 'react';
import { useArena, useArenaState, useT } from '../useArena';
import type { RoomSummary } from '../types';
import { CreateRoomDialog } from './CreateRoomDialog';
import { Boards } from './Boards';
import { Avatar, COMPANY_COLORS, COMPANY_NAMES } from './common';

function personaIds(r: RoomSummary): string[] {
  if (!Array.isArray(r.personas)) return [];
  return r.personas.map((p) => (typeof p === 'string' ? p : p.id));
}

export function RoomCard({ room }: { room: RoomSummary }) {
  const arena = useArena();
  const t = useT();
  const lang = useArenaState((s) => s.lang);
  const extra = room as RoomSummary & { turn_mode?: string; question_count?: number };
  const ids = personaIds(room);
  const aiCount = Array.isArray(room.personas) ? room.personas.length : Number(room.personas) || 0;
  const full = room.humans >= room.max_humans;
  const started = room.phase !== 'lobby';
  return (
    <li className="room-card" data-room-id={room.room_id}>
      <div className="room-main">
        <div className="room-title-row">
          <h3 className="room-title">{room.title}</h3>
          <span className={`phase-chip phase-${room.phase}`}>{t(`phase.${room.phase}` as any)}</span>
        </div>
        <div className="room-meta">
          <span className="lang-tag">{room.language?.toUpperCase()}</span>
          <span>{t('lobby.humans', { n: room.humans, max: room.max_humans })}</span>
          <span>{t('lobby.ai', { n: aiCount })}</span>
          {extra.question_count != null && <span>{t('lobby.questions', { n: extra.question_count })}</span>}
          {extra.turn_mode && <span>{t(extra.turn_mode === 'simultaneous' ? 'create.simultaneous' : 'create.roundRobin')}</span>}
        </div>
        {ids.length > 0 && (
          <ul className="persona-chips" aria-label={t('room.ai')}>
            {ids.map((id) => (
              <li key={id} style={{ ['--c' as any]: COMPANY_COLORS[id] ?? '#888' }}>
                {COMPANY_NAMES[id]?.[lang] ?? id}
              </li>
            ))}
          </ul>
        )}
      </div>
      <div className="room-actions">
        <button
          type="button"
          className="btn btn-primary"
          disabled={full || started}
          onClick={() => arena.joinRoom({ room_id: room.room_id, role: 'player' })}
          aria-label={`${t('lobby.join')}: ${room.title}`}
        >
          {full ? t('lobby.full') : started ? t('lobby.inProgress') : t('lobby.join')}
        </button>
        <button
          type="button"
          className="btn btn-ghost"
          onClick={() => arena.joinRoom({ room_id: room.room_id, role: 'spectator' })}
          aria-label={`${t('lobby.watch')}: ${room.title}`}
        >
          {t('lobby.watch')}
        </button>
      </div>
    </li>
  );
}

export function Lobby() {
  const arena = useArena();
  const t = useT();
  const rooms = useArenaState((s) => s.lobby);
  const conn = useArenaState((s) => s.conn);
  const auth = useArenaState((s) => s.auth);
  const [creating, setCreating] = useState(false);
  const [quickBusy, setQuickBusy] = useState(false);
  const [code, setCode] = useState('');

  useEffect(() => {
    if (conn === 'online') arena.refreshLobby();
  }, [arena, conn]);

  async function joinCode(e: FormEvent) {
    e.preventDefault();
    const c = code.trim();
    if (!c) return;
    const ok = await arena.joinRoom({ join_code: c, role: 'player' });
    if (ok) setCode('');
  }

  async function quick() {
    setQuickBusy(true);
    await arena.quickMatch();
    setQuickBusy(false);
  }

  const online = conn === 'online';
  return (
    <section className="lobby">
      <div className="lobby-head">
        <div>
          <h1>{t('lobby.title')}</h1>
          {rooms && <p className="muted">{t('lobby.roomCount', { n: rooms.length })}</p>}
        </div>
        <button type="button" className="btn btn-ghost" onClick={() => arena.refreshLobby()} aria-label={t('lobby.refresh')}>
          ↻ <span className="hide-sm">{t('lobby.refresh')}</span>
        </button>
      </div>

      <div className="lobby-grid">
        <aside className="lobby-side">
          <div className="card player-card">
            {auth && <Avatar id={auth.user_id} name={auth.display_name} kind="human" size={56} />}
            <div>
              <p className="eyebrow">{t('lobby.welcome')}</p>
              <p className="player-name">{auth?.display_name}</p>
              <p className="muted small">{t('lobby.pitch')}</p>
            </div>
            <div className="player-actions">
              <button type="button" className="btn btn-primary btn-lg" onClick={() => setCreating(true)} disabled={!online} data-testid="create-room">
                ＋ {t('lobby.create')}
              </button>
              <button type="button" className="btn btn-secondary" onClick={quick} disabled={!online || quickBusy} data-testid="quick-match" title={t('lobby.quickHint')}>
                ⚡ {t('lobby.quick')}
              </button>
            </div>
          </div>

          <form className="card code-card" onSubmit={joinCode}>
            <label htmlFor="join-code">{t('lobby.joinCodeLabel')}</label>
            <div className="inline">
              <input
                id="join-code"
                value={code}
                onChange={(e) => setCode(e.target.value.toUpperCase())}
                placeholder={t('lobby.codePlaceholder')}
                autoComplete="off"
                spellCheck={false}
                maxLength={16}
                aria-label={t('lobby.code')}
              />
              <button type="submit" className="btn btn-secondary" disabled={!code.trim() || !online}>
                {t('lobby.joinByCode')}
              </button>
            </div>
          </form>
          <Boards />
        </aside>

        <div className="lobby-rooms">
          <h2 className="section-title">{t('lobby.rooms')}</h2>
          {rooms == null ? (
            <p className="muted" role="status">{t('lobby.loading')}</p>
          ) : rooms.length === 0 ? (
            <div className="empty card">
              <p className="empty-emoji" aria-hidden="true">🎤</p>
              <p>{t('lobby.empty')}</p>
            </div>
          ) : (
            <ul className="room-list" aria-label={t('lobby.rooms')}>
              {rooms.map((r) => (
                <RoomCard key={r.room_id} room={r} />
              ))}
            </ul>
          )}
        </div>
      </div>
      {creating && <CreateRoomDialog onClose={() => setCreating(false)} />}
    </section>
  );
}
