import { useEffect, useRef, type ReactNode } from 'react';
import { useArena, useArenaState, useT } from '../useArena';
import type { Kind } from '../types';

export const COMPANY_COLORS: Record<string, string> = {
  naver: '#03c75a',
  kakao: '#fee500',
  toss: '#3182f6',
  coupang: '#e4393c',
  baemin: '#2ac1bc',
  daangn: '#ff7e36',
};

export const COMPANY_NAMES: Record<string, { ko: string; en: string }> = {
  naver: { ko: '네이버', en: 'Naver' },
  kakao: { ko: '카카오', en: 'Kakao' },
  toss: { ko: '토스', en: 'Toss' },
  coupang: { ko: '쿠팡', en: 'Coupang' },
  baemin: { ko: '배민', en: 'Baemin' },
  daangn: { ko: '당근', en: 'Daangn' },
};

function hash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
  return Math.abs(h);
}

export function colorFor(id: string, personaId?: string | null): string {
  if (personaId && COMPANY_COLORS[personaId]) return COMPANY_COLORS[personaId];
  const pid = id.startsWith('ai:') ? id.slice(3) : '';
  if (pid && COMPANY_COLORS[pid]) return COMPANY_COLORS[pid];
  const hue = hash(id) % 360;
  return `hsl(${hue} 75% 62%)`;
}

export function initials(name: string): string {
  const n = (name || '?').trim();
  if (/[\u3131-\uD79D]/.test(n)) return n.slice(0, 2);
  const parts = n.split(/\s+/).filter(Boolean);
  if (parts.length >= 2) return (parts[0][0] + parts[1][0]).toUpperCase();
  return n.slice(0, 2).toUpperCase();
}

export function Avatar({ id, name, kind, personaId, size = 40 }: { id: string; name: string; kind: Kind; personaId?: string | null; size?: number }) {
  const c = colorFor(id, personaId);
  return (
    <span
      className={`avatar ${kind === 'ai' ? 'avatar-ai' : ''}`}
      style={{ width: size, height: size, fontSize: size * 0.38, ['--c' as any]: c }}
      aria-hidden="true"
    >
      {initials(name)}
    </span>
  );
}

export function KindBadge({ kind }: { kind: Kind }) {
  const t = useT();
  if (kind !== 'ai') return null;
  return <span className="badge badge-ai">{t('common.ai')}</span>;
}

export function Modal({ title, onClose, children, labelledBy = 'modal-title' }: { title: string; onClose: () => void; children: ReactNode; labelledBy?: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const t = useT();
  useEffect(() => {
    const prev = document.activeElement as HTMLElement | null;
    const first = ref.current?.querySelector<HTMLElement>('input, select, textarea, button:not(.modal-x)');
    first?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        e.stopPropagation();
        onClose();
      }
      if (e.key === 'Tab' && ref.current) {
        const items = Array.from(
          ref.current.querySelectorAll<HTMLElement>('button, [href], input, select, textarea, [tabindex]:not([tabindex="-1"])'),
        ).filter((el) => !(el as HTMLButtonElement).disabled);
        if (!items.length) return;
        const firstEl = items[0];
        const last = items[items.length - 1];
        if (e.shiftKey && document.activeElement === firstEl) {
          e.preventDefault();
          last.focus();
        } else if (!e.shiftKey && document.activeElement === last) {
          e.preventDefault();
          firstEl.focus();
        }
      }
    };
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('keydown', onKey);
      prev?.focus?.();
    };
  }, [onClose]);
  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className="modal" role="dialog" aria-modal="true" aria-labelledby={labelledBy} ref={ref}>
        <header className="modal-head">
          <h2 id={labelledBy}>{title}</h2>
          <button type="button" className="icon-btn modal-x" onClick={onClose} aria-label={t('common.close')}>
            ×
          </button>
        </header>
        {children}
      </div>
    </div>
  );
}

export function Toasts() {
  const arena = useArena();
  const toasts = useArenaState((s) => s.toasts);
  const t = useT();
  return (
    <div className="toasts" role="region" aria-live="assertive" aria-label={t('toast.region')}>
      {toasts.map((x) => (
        <div key={x.id} className={`toast toast-${x.kind}`} role={x.kind === 'error' ? 'alert' : 'status'}>
          <span>{x.text}</span>
          <button type="button" className="icon-btn" aria-label={t('toast.close')} onClick={() => arena.dismiss(x.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}

export function Spinner({ label }: { label: string }) {
  return (
    <div className="spinner-wrap" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      <span>{label}</span>
    </div>
  );
}
