import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { io } from 'socket.io-client';
import { Arena } from './arena';
import { App } from './App';
import { ArenaContext } from './useArena';
import { ensureFresh, keepFresh } from './account';
import './styles.css';

const baseUrl = (import.meta.env.VITE_ARENA_URL as string | undefined) ?? '';

const arena = new Arena({
  baseUrl,
  socketFactory: (url, opts) => (url ? io(url, opts) : io(opts)) as any,
  fetch: (input, init) => fetch(input, init),
  storage: window.localStorage,
  navigatorLike: navigator,
});
(window as any).__arena = arena; // handy for debugging and the e2e test
// Keep the room as last applied, so a reload rejoins with last_seq and gets only what it missed.
window.addEventListener('pagehide', () => arena.persistRoom());

// An account's access token lives 15 minutes: rotate it before connecting, and keep it fresh.
if (arena.getState().auth) void ensureFresh(arena).then(() => arena.getState().auth && arena.connect());
keepFresh(arena);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ArenaContext.Provider value={arena}>
      <App />
    </ArenaContext.Provider>
  </StrictMode>,
);
