import { createContext, useCallback, useContext, useEffect, useRef, useState, useSyncExternalStore } from 'react';
import type { Arena, AppState } from './arena';
import { translate, type MsgKey } from './i18n';

export const ArenaContext = createContext<Arena | null>(null);

export function useArena(): Arena {
  const a = useContext(ArenaContext);
  if (!a) throw new Error('ArenaContext missing');
  return a;
}

/** Subscribe to a slice of the app state. */
export function useArenaState<T>(select: (s: AppState) => T): T {
  const arena = useArena();
  return useSyncExternalStore(arena.subscribe, () => select(arena.getState()), () => select(arena.getState()));
}

export function useT() {
  const lang = useArenaState((s) => s.lang);
  return useCallback((key: MsgKey, vars?: Record<string, string | number>) => translate(lang, key, vars), [lang]);
}

/** Milliseconds left until a server-epoch deadline, ticking a few times per second. */
export function useRemaining(deadlineMs: number | null | undefined, intervalMs = 100): number | null {
  const arena = useArena();
  const calc = () => (deadlineMs == null ? null : Math.max(0, deadlineMs - arena.serverNow()));
  const [left, setLeft] = useState<number | null>(calc);
  useEffect(() => {
    setLeft(calc());
    if (deadlineMs == null) return;
    const id = setInterval(() => setLeft(calc()), intervalMs);
    return () => clearInterval(id);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [deadlineMs, intervalMs]);
  return left;
}

export function usePrevious<T>(value: T): T | undefined {
  const ref = useRef<T | undefined>(undefined);
  useEffect(() => {
    ref.current = value;
  });
  return ref.current;
}
