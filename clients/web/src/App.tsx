import { useEffect } from 'react';
import { useArena, useArenaState, useT } from './useArena';
import { Header } from './components/Header';
import { SignIn } from './components/SignIn';
import { Lobby } from './components/Lobby';
import { WaitingRoom } from './components/WaitingRoom';
import { Match } from './components/Match';
import { Results } from './components/Results';
import { Spinner, Toasts } from './components/common';

function Screen() {
  const arena = useArena();
  const t = useT();
  const auth = useArenaState((s) => s.auth);
  const room = useArenaState((s) => s.sync.room);
  const joining = useArenaState((s) => s.joining);
  const results = useArenaState((s) => s.results);
  if (!auth) return <SignIn />;
  if (room && room.phase === 'finished') return <Results roomId={room.room_id} waiting={!room.complete} />;
  if (results) return <Results roomId={results.room_id} />;
  if (room) return room.phase === 'lobby' ? <WaitingRoom room={room} /> : <Match room={room} />;
  if (joining)
    return (
      <section className="joining">
        <Spinner label={t('room.rejoining')} />
        <button type="button" className="btn btn-ghost" onClick={() => arena.leaveRoom()}>
          {t('room.leave')}
        </button>
      </section>
    );
  return <Lobby />;
}

export function App() {
  const lang = useArenaState((s) => s.lang);
  const conn = useArenaState((s) => s.conn);
  const auth = useArenaState((s) => s.auth);
  const t = useT();
  useEffect(() => {
    document.documentElement.lang = lang;
    document.title = t('app.name');
  }, [lang, t]);
  return (
    <div className="app">
      <a className="skip" href="#main">Skip to content</a>
      <Header />
      {auth && conn === 'offline' && (
        <div className="offline-banner" role="alert">
          {t('conn.offline')}
        </div>
      )}
      <main id="main" tabIndex={-1}>
        <Screen />
      </main>
      <Toasts />
    </div>
  );
}
