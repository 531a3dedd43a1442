import { useArena, useArenaState, useT } from '../useArena';
import type { Lang } from '../types';
import { go } from '../route';
import { useHT } from '../historyI18n';

export function LangSwitch() {
  const arena = useArena();
  const lang = useArenaState((s) => s.lang);
  const t = useT();
  return (
    <div className="seg" role="group" aria-label={t('lang.switch')}>
      {(['ko', 'en'] as Lang[]).map((l) => (
        <button
          key={l}
          type="button"
          className={lang === l ? 'on' : ''}
          aria-pressed={lang === l}
          lang={l}
          onClick={() => arena.setLang(l)}
        >
          {l === 'ko' ? '한국어' : 'EN'}
        </button>
      ))}
    </div>
  );
}

export function Header() {
  const arena = useArena();
  const auth = useArenaState((s) => s.auth);
  const conn = useArenaState((s) => s.conn);
  const resyncing = useArenaState((s) => s.sync.resyncing);
  const t = useT();
  const ht = useHT();
  const connLabel = resyncing ? t('conn.resync') : conn === 'online' ? t('conn.online') : conn === 'offline' ? t('conn.offline') : t('conn.connecting');
  return (
    <header className="topbar">
      <div className="brand">
        <svg viewBox="0 0 64 64" width="28" height="28" aria-hidden="true">
          <defs>
            <linearGradient id="lg" x1="0" y1="0" x2="1" y2="1">
              <stop offset="0" stopColor="#7c5cff" />
              <stop offset="1" stopColor="#22d3ee" />
            </linearGradient>
          </defs>
          <path d="M14 46 L32 14 L50 46 Z" fill="none" stroke="url(#lg)" strokeWidth="6" strokeLinejoin="round" />
          <circle cx="32" cy="36" r="5" fill="#fbbf24" />
        </svg>
        <span className="brand-name">{t('app.name')}</span>
      </div>
      <div className="topbar-right">
        {auth && (
          <span className={`conn conn-${resyncing ? 'resync' : conn}`} role="status" aria-live="polite" title={connLabel}>
            <span className="dot" aria-hidden="true" />
            <span className="conn-text">{connLabel}</span>
          </span>
        )}
        <LangSwitch />
        {auth && (
          <>
            <a className="btn btn-ghost btn-sm" href="#/history" data-testid="nav-history">{ht('nav.history')}</a>
            <a className="me-name" href="#/account" title={t('nav.signedInAs', { name: auth.display_name })}>
              {auth.display_name}
            </a>
            {auth.role === 'coach' && (
              <a className="btn btn-ghost btn-sm" href="#/coach">
                {t('nav.coach')}
              </a>
            )}
            <button type="button" className="btn btn-ghost btn-sm" onClick={() => {
                arena.signOut();
                if (window.location.hash) go('');
              }}>
              {t('nav.signout')}
            </button>
          </>
        )}
      </div>
    </header>
  );
}
