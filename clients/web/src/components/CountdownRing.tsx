import { useRef } from 'react';
import { useRemaining, useT } from '../useArena';

/** A ring that empties as a server deadline (server epoch ms, skew-corrected) approaches. */
export function CountdownRing({ deadlineMs, totalMs, size = 96, label }: { deadlineMs: number | null | undefined; totalMs?: number; size?: number; label?: string }) {
  const t = useT();
  const left = useRemaining(deadlineMs);
  // Remember the largest remaining time seen for this deadline when no total is known.
  const seen = useRef<{ d: number | null | undefined; max: number }>({ d: undefined, max: 0 });
  if (seen.current.d !== deadlineMs) seen.current = { d: deadlineMs, max: left ?? 0 };
  if (left != null && left > seen.current.max) seen.current.max = left;
  const total = Math.max(1, totalMs && totalMs > 0 ? Math.max(totalMs, left ?? 0) : seen.current.max || 1);
  const frac = left == null ? 0 : Math.min(1, left / total);
  const secs = left == null ? 0 : Math.ceil(left / 1000);
  const r = 42;
  const c = 2 * Math.PI * r;
  const urgent = left != null && (frac < 0.2 || left < 5000);
  return (
    <div
      className={`ring ${urgent ? 'ring-urgent' : ''}`}
      style={{ width: size, height: size }}
      role="timer"
      aria-label={label ? `${label}: ${t('match.timeLeft', { s: secs })}` : t('match.timeLeft', { s: secs })}
      data-seconds={secs}
    >
      <svg viewBox="0 0 100 100" width={size} height={size} aria-hidden="true">
        <circle cx="50" cy="50" r={r} className="ring-track" />
        <circle
          cx="50"
          cy="50"
          r={r}
          className="ring-bar"
          strokeDasharray={c}
          strokeDashoffset={c * (1 - frac)}
          transform="rotate(-90 50 50)"
        />
      </svg>
      <span className="ring-num" aria-hidden="true">{left == null ? '–' : secs}</span>
    </div>
  );
}
