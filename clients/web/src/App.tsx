import { Component, lazy, Suspense, useEffect, type ReactNode } from 'react';
import { useArena, useArenaState, useT } from './useArena';
import { Header } from './components/Header';
import { SignIn } from './components/SignIn';
import { Lobby } from './components/Lobby';
import { WaitingRoom } from './components/WaitingRoom';
import { Match } from './components/Match';
import { Results } from './components/Results';
import { Spinner, Toasts } from './components/common';
import { AccountPage } from './components/AccountPage';
import { CoachPage } from './components/CoachPage';
import { useHashRoute } from './route';
// The history pages (and Recharts) load on first visit, not with the lobby.
const History = lazy(() => import('./components/History').then((m) => ({ default: m.History })));
const Replay = lazy(() => import('./components/Replay').then((m) => ({ default: m.Replay })));
import { PracticeScreen } from './practice/PracticeScreen';

function Screen() {
  const arena = useArena();
  const t = useT();
  const auth = useArenaState((s) => s.auth);
  const room = useArenaState((s) => s.sync.room);
  const joining = useArenaState((s) => s.joining);
  const results = useArenaState((s) => s.results);
  const route = useHashRoute();
  const page = (el: ReactNode) => <Suspense fallback={<Spinner label="…" />}>{el}</Suspense>;
  if (route.page === 'replay' && (route.share || (auth && !room))) return page(<Replay {...route} />);
  if (!auth) return <SignIn />;
  if (route.page === 'history' && !room) return page(<History />);
  if (!room && !joining && route.page === 'coach') return <CoachPage />;
  if (!room && !joining && route.page === 'account') return <AccountPage />;
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
  return <PracticeScreen lobby={<Lobby />} />;
}

/** Last line of defence: a render error shows a way out instead of a blank page. */
class ErrorBoundary extends Component<{ children: ReactNode; title: string; back: string; reload: string; onBack: () => void }, { error: Error | null }> {
  state = { error: null as Error | null };
  static getDerivedStateFromError(error: Error) {
    return { error };
  }
  componentDidCatch(error: Error) {
    console.error('render failed', error);
  }
  render() {
    if (!this.state.error) return this.props.children;
    return (
      <section className="card empty" role="alert">
        <p>{this.props.title}</p>
        <div className="inline" style={{ justifyContent: 'center' }}>
          <button
            type="button"
            className="btn btn-primary"
            onClick={() => {
              this.setState({ error: null });
              this.props.onBack();
            }}
          >
            {this.props.back}
          </button>
          <button type="button" className="btn btn-ghost" onClick={() => window.location.reload()}>
            ↻ {this.props.reload}
          </button>
        </div>
      </section>
    );
  }
}

export function App() {
  const arena = useArena();
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
      <a className="skip" href="#main">{t('app.skip')}</a>
      <Header />
      {auth && conn === 'offline' && (
        <div className="offline-banner" role="alert">
          {t('conn.offline')}
        </div>
      )}
      <main id="main" tabIndex={-1}>
        <ErrorBoundary title={t('app.crashed')} back={t('results.backLobby')} reload={t('app.reload')} onBack={() => arena.closeResults()}>
          <Screen />
        </ErrorBoundary>
      </main>
      <Toasts />
    </div>
  );
}
