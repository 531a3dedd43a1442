// The microphone controls on your turn: mic button, level meter, camera toggle, status line.
// The WebRTC/PCM machinery (src/mic/session.ts) is loaded on the first click.
import { useEffect, useRef, useState, type MutableRefObject } from 'react';
import { errorText } from '../i18n';
import type { MicPhase, MicSession, MicStatus } from '../mic/session';
import { useArena, useArenaState, useT } from '../useArena';

export interface MicControl {
  stop(): void;
}

const LIVE: MicPhase[] = ['starting', 'connecting', 'live', 'live-pcm'];
/** Codes whose plain words are worth showing under the button. */
const SHOWN_CODES = new Set(['media_unavailable', 'bad_sdp', 'bad_sample_rate', 'chunk_too_large', 'bad_audio', 'overloaded', 'timeout', 'network', 'ice_failed', 'silence']);

/** `localStorage['arena.mic.pcm'] = '1'` forces the audio_chunk path (diagnostics, e2e). */
function pcmOnly(): boolean {
  try {
    return localStorage.getItem('arena.mic.pcm') === '1';
  } catch {
    return false;
  }
}

export function MicPanel({ active, onLive, control }: { active: boolean; onLive?: (live: boolean) => void; control?: MutableRefObject<MicControl | null> }) {
  const arena = useArena();
  const t = useT();
  const lang = useArenaState((s) => s.lang);
  const [status, setStatus] = useState<MicStatus>({ phase: 'idle', camera: false });
  const [camera, setCamera] = useState(false);
  const [level, setLevel] = useState(0);
  const [camStream, setCamStream] = useState<MediaStream | null>(null);
  const session = useRef<MicSession | null>(null);
  const gen = useRef(0);
  const video = useRef<HTMLVideoElement>(null);
  const live = LIVE.includes(status.phase);

  const stop = () => {
    gen.current++;
    const s = session.current;
    session.current = null;
    s?.stop();
    setStatus((st) => (LIVE.includes(st.phase) ? { ...st, phase: 'idle', code: undefined } : st));
    setLevel(0);
  };

  useEffect(() => {
    if (control) control.current = { stop };
    return () => {
      if (control) control.current = null;
    };
  });

  // Turn over (or submitted): release the microphone. Unmount: same.
  useEffect(() => {
    if (!active) stop();
  }, [active]);
  useEffect(() => () => stop(), []);

  useEffect(() => {
    onLive?.(status.phase === 'live' || status.phase === 'live-pcm' || status.phase === 'connecting');
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [status.phase]);

  useEffect(() => {
    const v = video.current;
    if (!v) return;
    (v as any).srcObject = camStream;
    if (camStream) v.play?.()?.catch?.(() => undefined);
  }, [camStream]);

  // The room's media sidecar died and another took the room (error_message media_moved): the
  // peer connection was with the dead one, so connect again (a new media_offer reaches the new one).
  useEffect(
    () =>
      arena.onMedia((name) => {
        if (name !== 'media_moved' || !session.current) return;
        stop();
        void start();
      }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [],
  );

  async function toggle() {
    if (live) {
      stop();
      return;
    }
    await start();
  }

  async function start() {
    const my = ++gen.current;
    setStatus({ phase: 'starting', camera });
    let mod: typeof import('../mic/session');
    try {
      mod = await import('../mic/session');
    } catch {
      if (gen.current === my) setStatus({ phase: 'unavailable', code: 'network', camera });
      return;
    }
    if (gen.current !== my) return; // stopped (or the turn ended) while loading
    const s = new mod.MicSession({
      emit: (ev, payload) => arena.emit(ev, payload),
      onStatus: (st) => {
        if (session.current === s) setStatus(st);
        if (st.phase === 'idle' || st.phase === 'unavailable' || st.phase === 'denied') setLevel(0);
      },
      onLevel: setLevel,
      onCamera: setCamStream,
      camera,
      forcePcm: pcmOnly(),
    });
    session.current = s;
    await s.start();
    if (session.current !== s) s.stop(); // the turn ended while we were starting
  }

  function toggleCamera() {
    const next = !camera;
    setCamera(next);
    void session.current?.setCamera(next);
  }

  let line: string;
  switch (status.phase) {
    case 'starting':
      line = t('mic.starting');
      break;
    case 'connecting':
      line = t('mic.connecting');
      break;
    case 'live':
      line = t('mic.live');
      break;
    case 'live-pcm':
      line = t('mic.livePcm');
      break;
    case 'denied':
      line = t('mic.denied');
      break;
    case 'unavailable':
      line = t('mic.unavailable');
      break;
    default:
      line = active ? t('mic.hint') : t('mic.waitTurn');
  }
  const detail =
    status.code && SHOWN_CODES.has(status.code) && status.code !== 'media_unavailable' ? errorText(lang, status.code) : '';
  const pct = Math.round(level * 100);

  return (
    <div className={`mic-panel mic-${status.phase}`} data-testid="mic-panel" data-phase={status.phase} data-code={status.code ?? ''}>
      <div className="mic-row">
        <button
          type="button"
          className={`mic-btn ${live ? 'mic-on' : ''}`}
          aria-pressed={live}
          disabled={!active && !live}
          onClick={toggle}
          data-testid="mic-toggle"
        >
          <span className="mic-icon" aria-hidden="true">{live ? '■' : '🎙'}</span>
          <span>{live ? t('mic.stop') : t('mic.start')}</span>
        </button>
        <div
          className="mic-meter"
          role="meter"
          aria-label={t('mic.level')}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={pct}
          data-testid="mic-level"
        >
          <span style={{ width: `${pct}%` }} />
        </div>
        <button
          type="button"
          className={`btn btn-sm btn-ghost cam-btn ${camera ? 'cam-on' : ''}`}
          aria-pressed={camera}
          onClick={toggleCamera}
          disabled={!active}
          data-testid="camera-toggle"
        >
          <span aria-hidden="true">📷</span> {camera ? t('mic.cameraOn') : t('mic.cameraOff')}
        </button>
      </div>
      {camStream && <video ref={video} className="cam-preview" muted autoPlay playsInline aria-label={t('mic.preview')} />}
      {!camStream && <video ref={video} hidden muted />}
      <p className="mic-status small" role="status" aria-live="polite" data-testid="mic-status">
        {line}
        {detail && <span className="mic-detail"> {detail}</span>}
        {status.cameraError && <span className="mic-detail"> {t('mic.cameraError')}</span>}
      </p>
    </div>
  );
}
