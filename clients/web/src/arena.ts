// The client's single source of truth: auth, connection, lobby, the room being played.
// Framework-free (a tiny observable store) so it can be tested with a fake socket.

import { ArenaError, createHttpApi, type FetchLike, type HttpApi } from './api';
import { detectLang, errorText, translate, type MsgKey } from './i18n';
import { emptySync, ingestEvent, ingestSnapshot, resumeFromBuffer, ROOM_EVENTS, type ClientRoom, type SyncState } from './roomSync';
import type { Lang, Report, Role, RoomSettings, RoomSummary } from './types';

export interface SocketLike {
  connected: boolean;
  on(event: string, fn: (...args: any[]) => void): unknown;
  onAny?(fn: (event: string, ...args: any[]) => void): unknown;
  emit(event: string, ...args: any[]): unknown;
  connect(): unknown;
  disconnect(): unknown;
  io?: { on(event: string, fn: (...args: any[]) => void): unknown };
}

export type SocketFactory = (url: string | undefined, opts: Record<string, unknown>) => SocketLike;

export interface StorageLike {
  getItem(k: string): string | null;
  setItem(k: string, v: string): void;
  removeItem(k: string): void;
}

export type ConnState = 'idle' | 'connecting' | 'online' | 'offline';

export interface Toast {
  id: number;
  text: string;
  kind: 'error' | 'info' | 'success';
}

export interface Auth {
  token: string;
  user_id: string;
  display_name: string;
  /** Accounts (src/account.ts): a refresh token, the access token's expiry (epoch ms), the role. */
  kind?: 'guest' | 'account';
  role?: 'candidate' | 'coach';
  email?: string | null;
  refresh_token?: string;
  expires_at?: number;
}

export interface SavedRoom {
  room_id: string;
  role: Role;
  join_code?: string | null;
  finished?: boolean;
}

export interface AppState {
  lang: Lang;
  auth: Auth | null;
  conn: ConnState;
  lobby: RoomSummary[] | null;
  sync: SyncState;
  /** A (re)join in flight: shows "returning to your seat". */
  joining: SavedRoom | null;
  /** A finished match whose report we show (survives reload without a live room). */
  results: { room_id: string; title?: string } | null;
  /** question_id → true once you submitted for it. */
  submitted: Record<string, boolean>;
  toasts: Toast[];
  clockOffset: number;
}

export interface ArenaDeps {
  baseUrl?: string;
  socketFactory: SocketFactory;
  fetch: FetchLike;
  storage: StorageLike;
  navigatorLike?: { language?: string; languages?: readonly string[] };
  now?: () => number;
  ackTimeoutMs?: number;
  draftIntervalMs?: number;
}

const K = {
  token: 'arena.token',
  user: 'arena.user',
  lang: 'arena.lang',
  room: 'arena.room',
  /** The room as last applied (JSON ClientRoom); its `seq` is the `last_seq` of a rejoin after a reload. */
  roomState: 'arena.room.state',
};

/** How often (ms) at most the room is written to storage for a reload to resume from. */
const PERSIST_INTERVAL_MS = 1000;

type Listener = () => void;

/** `submitted` key for your answer to the follow-up on question `qid`. */
export function followUpKey(qid: string): string {
  return `${qid}#follow_up`;
}

const NON_ROOM_EVENTS = new Set(['connection_ack', 'lobby_update', 'room_state', 'error_message', 'audio_processed', 'real_time_feedback']);

export class Arena {
  private state: AppState;
  private listeners = new Set<Listener>();
  private socket: SocketLike | null = null;
  private deps: Required<Omit<ArenaDeps, 'navigatorLike' | 'baseUrl'>> & { baseUrl: string };
  readonly http: HttpApi;
  private toastSeq = 0;
  private draftTimer: ReturnType<typeof setTimeout> | null = null;
  private draftLastSent = 0;
  private draftPending: string | null = null;
  private draftSentText = '';
  private resyncInFlight = false;
  /** Room events that arrive while a join ack is still on its way (replayed onto the snapshot). */
  private preJoin: { name: string; payload: any }[] = [];
  /** Listeners for the speaker-only media events (audio_processed). */
  private mediaListeners = new Set<(name: string, payload: any) => void>();
  /** The last few drafts we sent, to tell our own answer_stream echo from a live transcript. */
  private recentDrafts: string[] = [];
  private persistTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(deps: ArenaDeps) {
    this.deps = {
      baseUrl: deps.baseUrl ?? '',
      socketFactory: deps.socketFactory,
      fetch: deps.fetch,
      storage: deps.storage,
      now: deps.now ?? (() => Date.now()),
      ackTimeoutMs: deps.ackTimeoutMs ?? 10_000,
      draftIntervalMs: deps.draftIntervalMs ?? 300,
    };
    const st = deps.storage;
    const savedLang = st.getItem(K.lang);
    const lang: Lang = savedLang === 'ko' || savedLang === 'en' ? savedLang : detectLang(deps.navigatorLike);
    let auth: Auth | null = null;
    try {
      const token = st.getItem(K.token);
      const user = JSON.parse(st.getItem(K.user) ?? 'null');
      if (token && user?.user_id) auth = { ...user, token, user_id: user.user_id, display_name: user.display_name ?? '' };
    } catch {
      auth = null;
    }
    const saved = this.savedRoom();
    this.state = {
      lang,
      auth,
      conn: 'idle',
      lobby: null,
      sync: emptySync,
      joining: saved && !saved.finished && auth ? saved : null,
      results: saved?.finished && auth ? { room_id: saved.room_id } : null,
      submitted: {},
      toasts: [],
      clockOffset: 0,
    };
    this.http = createHttpApi(this.deps.baseUrl, deps.fetch, () => this.state.auth?.token ?? null);
  }

  // ---- store plumbing -------------------------------------------------------------------
  getState = (): AppState => this.state;
  subscribe = (fn: Listener): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };
  private set(patch: Partial<AppState>) {
    const roomBefore = this.state.sync.room;
    this.state = { ...this.state, ...patch };
    if (this.state.sync.room && this.state.sync.room !== roomBefore) this.schedulePersist();
    for (const l of this.listeners) l();
  }

  // ---- resuming after a reload: the room as last applied, in storage ----------------------------
  private schedulePersist() {
    if (this.persistTimer) return;
    this.persistTimer = setTimeout(() => {
      this.persistTimer = null;
      this.persistRoom();
    }, PERSIST_INTERVAL_MS);
  }

  /**
   * Store the room as last applied, so a reload can rejoin with `last_seq` = its seq and get only the
   * events it missed. Called at most once a second while events arrive, and on `pagehide`.
   */
  persistRoom() {
    const room = this.state.sync.room;
    const saved = this.savedRoom();
    if (!room || room.removed || !saved || saved.finished || saved.room_id !== room.room_id) return;
    try {
      this.deps.storage.setItem(K.roomState, JSON.stringify(room));
    } catch {
      // Storage full or unavailable: a reload then resynchronises from a snapshot.
    }
  }

  /** The room to resume `roomId` from: the one in memory (network drop), else the stored one (reload). */
  private resumeBase(roomId: string): ClientRoom | null {
    const mem = this.state.sync.room;
    if (mem && mem.room_id === roomId && !mem.removed) return mem;
    try {
      const stored = JSON.parse(this.deps.storage.getItem(K.roomState) ?? 'null');
      if (stored && stored.room_id === roomId && typeof stored.seq === 'number' && stored.you) {
        return { ...stored, rtf: Array.isArray(stored.rtf) ? stored.rtf : [], locked: Array.isArray(stored.locked) ? stored.locked : [] };
      }
    } catch {
      // unreadable: rejoin with a snapshot
    }
    return null;
  }

  t = (key: MsgKey, vars?: Record<string, string | number>) => translate(this.state.lang, key, vars);

  /** Server epoch ms now, corrected for clock skew. */
  serverNow(): number {
    return this.deps.now() + this.state.clockOffset;
  }

  get room(): ClientRoom | null {
    return this.state.sync.room;
  }

  setLang(lang: Lang) {
    this.deps.storage.setItem(K.lang, lang);
    this.set({ lang });
  }

  toast(text: string, kind: Toast['kind'] = 'error') {
    const id = ++this.toastSeq;
    this.set({ toasts: [...this.state.toasts.slice(-3), { id, text, kind }] });
    setTimeout(() => this.dismiss(id), kind === 'error' ? 7000 : 3500);
  }
  dismiss(id: number) {
    if (this.state.toasts.some((t) => t.id === id)) this.set({ toasts: this.state.toasts.filter((t) => t.id !== id) });
  }
  showError(e: unknown) {
    const err = e as ArenaError;
    this.toast(errorText(this.state.lang, err?.code, err?.message));
  }

  private savedRoom(): SavedRoom | null {
    try {
      const v = JSON.parse(this.deps.storage.getItem(K.room) ?? 'null');
      return v && typeof v.room_id === 'string' ? v : null;
    } catch {
      return null;
    }
  }
  private saveRoom(r: SavedRoom | null) {
    const before = this.savedRoom();
    if (r) this.deps.storage.setItem(K.room, JSON.stringify(r));
    else this.deps.storage.removeItem(K.room);
    if (!r || r.finished || before?.room_id !== r.room_id) this.deps.storage.removeItem(K.roomState);
  }

  // ---- auth -------------------------------------------------------------------------------
  async signIn(displayName: string): Promise<boolean> {
    const name = displayName.trim();
    if (!name || name.length > 32) {
      this.toast(this.t('signin.nameRequired'));
      return false;
    }
    try {
      const res = await this.http.guest(name);
      const auth = { token: res.token, user_id: res.user_id, display_name: name };
      this.deps.storage.setItem(K.token, auth.token);
      this.deps.storage.setItem(K.user, JSON.stringify({ user_id: auth.user_id, display_name: name }));
      this.set({ auth });
      this.connect();
      return true;
    } catch (e) {
      this.showError(e);
      return false;
    }
  }

  /** Take a new identity or refreshed token (src/account.ts): stored, and the socket uses it from its next (re)connect. */
  adoptAuth(auth: Auth, reconnect = true) {
    const { token, ...user } = auth;
    this.deps.storage.setItem(K.token, token);
    this.deps.storage.setItem(K.user, JSON.stringify(user));
    this.set({ auth });
    if (this.socket) (this.socket as any).auth = { token };
    if (reconnect) this.connect();
  }

  signOut() {
    const refresh = this.state.auth?.refresh_token;
    if (refresh) this.http.logout?.(refresh).catch(() => undefined);
    this.socket?.disconnect();
    this.socket = null;
    this.deps.storage.removeItem(K.token);
    this.deps.storage.removeItem(K.user);
    this.saveRoom(null);
    this.set({ auth: null, conn: 'idle', lobby: null, sync: emptySync, joining: null, results: null, submitted: {} });
  }

  // ---- socket -----------------------------------------------------------------------------
  connect() {
    const auth = this.state.auth;
    if (!auth) return;
    if (this.socket) this.socket.disconnect();
    const s = this.deps.socketFactory(this.deps.baseUrl || undefined, {
      path: '/socket.io',
      auth: { token: auth.token },
      transports: ['websocket', 'polling'],
      reconnection: true,
      reconnectionDelay: 500,
      reconnectionDelayMax: 4000,
      timeout: 8000,
    });
    this.socket = s;
    this.set({ conn: 'connecting' });

    s.on('connect', () => this.onConnect(s));
    s.on('disconnect', (reason: string) => {
      if (this.socket !== s) return;
      this.set({ conn: 'offline' });
      // A server-side disconnect is not retried by socket.io: do it ourselves.
      if (reason === 'io server disconnect') setTimeout(() => this.socket === s && s.connect(), 1000);
    });
    s.on('connect_error', (err: any) => {
      if (this.socket !== s) return;
      const code = err?.data?.code ?? err?.code;
      if (code === 'unauthorized') {
        this.toast(errorText(this.state.lang, 'unauthorized'));
        this.signOut();
        return;
      }
      this.set({ conn: 'offline' });
    });
    s.on('connection_ack', (ack: any) => {
      if (typeof ack?.server_time_ms === 'number') this.set({ clockOffset: ack.server_time_ms - this.deps.now() });
    });
    s.on('lobby_update', (p: any) => {
      if (Array.isArray(p?.rooms)) this.set({ lobby: p.rooms });
    });
    s.on('room_state', (p: any) => this.onSnapshot(p?.state ?? p));
    s.on('audio_processed', (p: any) => {
      if (this.socket !== s) return;
      for (const fn of this.mediaListeners) fn('audio_processed', p ?? {});
    });
    // Private coaching for this player (no seq): applied to the room without seq bookkeeping.
    s.on('real_time_feedback', (p: any) => {
      if (this.socket !== s || !p || typeof p !== 'object') return;
      const { seq: _seq, ...rest } = p;
      this.onRoomEvent('real_time_feedback', rest);
    });
    s.on('error_message', (p: any) => {
      if (this.socket !== s) return;
      if (p?.code === 'kicked') return this.removedFromRoom(errorText(this.state.lang, 'kicked'));
      if (p?.code === 'media_moved') for (const fn of this.mediaListeners) fn('media_moved', p);
      if (p?.code) this.toast(errorText(this.state.lang, p.code, p.message));
    });
    if (typeof s.onAny === 'function') {
      // Every versioned room event counts toward seq, including ones this client does not know.
      s.onAny((name: string, payload: any) => {
        if (NON_ROOM_EVENTS.has(name)) return;
        if (payload && typeof payload === 'object' && typeof payload.seq === 'number') this.onRoomEvent(name, payload);
      });
    } else {
      for (const name of ROOM_EVENTS) if (!NON_ROOM_EVENTS.has(name)) s.on(name, (payload: any) => this.onRoomEvent(name, payload));
    }
  }

  private async onConnect(s: SocketLike) {
    if (this.socket !== s) return;
    this.set({ conn: 'online' });
    const saved = this.savedRoom();
    if (saved && !saved.finished) {
      await this.rejoin(saved);
    } else {
      this.refreshLobby();
    }
  }

  private async rejoin(saved: SavedRoom) {
    // Resume from the room we still have: the server replays what we missed after its seq. Until the
    // ack, events (the replay, then live ones) are buffered, and applied in order on top of it.
    const base = this.resumeBase(saved.room_id);
    this.set({ joining: saved, ...(base ? { sync: { room: base, resyncing: true, buffer: [] } } : {}) });
    const sentAt = this.deps.now();
    try {
      let ack = await this.emit('join_room', {
        room_id: saved.room_id,
        ...(saved.join_code ? { join_code: saved.join_code } : {}),
        role: saved.role,
        ...(base ? { last_seq: base.seq } : {}),
      });
      // A replay with no room left to apply it to (we were reset meanwhile): take a snapshot.
      if (ack?.replay && !this.state.sync.room) ack = await this.emit('request_state', {});
      this.refineClock(ack?.state, sentAt);
      this.acceptJoin(ack, saved.role, saved.join_code); // a spectator's snapshot has no code: keep ours
    } catch (e) {
      const code = (e as ArenaError).code;
      if (code === 'already_in_room') {
        // The server still has us seated: just resynchronise.
        const ok = await this.requestState();
        if (ok) {
          this.set({ joining: null });
          return;
        }
      }
      if (code === 'timeout' || code === 'network') {
        // Keep what arrived (a replay may have): apply it in order; a remaining gap asks for a snapshot.
        const r = resumeFromBuffer(this.state.sync);
        this.set({ joining: null, sync: r.state });
        if (r.resync) this.requestState();
        this.toast(errorText(this.state.lang, code));
        return;
      }
      if (code === 'wrong_phase') {
        // Our seat's match ended while we were away: show its report.
        this.saveRoom({ ...saved, finished: true });
        this.set({ joining: null, sync: emptySync, results: { room_id: saved.room_id } });
        return;
      }
      this.saveRoom(null);
      this.set({ joining: null, sync: emptySync });
      this.toast(`${this.t('room.removed')} ${errorText(this.state.lang, code, (e as Error).message)}`);
      this.refreshLobby();
    }
  }

  /** A snapshot carries server_time_ms: refine the clock offset, assuming a symmetric round trip. */
  private refineClock(st: any, sentAt: number) {
    if (typeof st?.server_time_ms !== 'number') return;
    const now = this.deps.now();
    const rtt = now - sentAt;
    if (rtt < 0 || rtt > 2000) return;
    this.set({ clockOffset: st.server_time_ms + rtt / 2 - now });
  }

  /** Emit with an ack; resolves the ack body on ok, rejects ArenaError otherwise. */
  emit(event: string, payload: Record<string, unknown> = {}): Promise<any> {
    const s = this.socket;
    if (!s) return Promise.reject(new ArenaError('network', 'not connected'));
    return new Promise((resolve, reject) => {
      let done = false;
      const timer = setTimeout(() => {
        if (done) return;
        done = true;
        reject(new ArenaError('timeout', `${event} timed out`));
      }, this.deps.ackTimeoutMs);
      s.emit(event, payload, (ack: any) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (ack && ack.ok === true) resolve(ack);
        else {
          const err = ack?.error ?? {};
          reject(new ArenaError(err.code ?? 'internal_error', err.message ?? 'request failed'));
        }
      });
    });
  }

  /** Run an action, show its error in plain words, return success. */
  private async run<T>(fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await fn();
    } catch (e) {
      this.showError(e);
      return undefined;
    }
  }

  // ---- lobby ------------------------------------------------------------------------------
  async refreshLobby() {
    const ack = await this.run(() => this.emit('list_rooms', {}));
    if (ack && Array.isArray(ack.rooms)) this.set({ lobby: ack.rooms });
  }

  async createRoom(settings: RoomSettings): Promise<boolean> {
    const ack = await this.run(() => this.emit('create_room', settings as any));
    if (!ack) return false;
    // The creator joins their own room as a player (and host).
    return this.joinRoom({ room_id: ack.room_id, join_code: ack.join_code ?? null, role: 'player' }, ack.state);
  }

  /** One click: a public room with two AI candidates, 3 questions, 60 s answers, in the UI language. */
  async quickMatch(): Promise<boolean> {
    let ids: string[];
    try {
      ids = (await this.http.personas(this.state.lang)).slice(0, 2).map((p) => p.id);
    } catch (e) {
      this.showError(e);
      return false;
    }
    const name = this.state.auth?.display_name ?? '';
    return this.createRoom({
      title: this.t('create.defaultTitle', { name }),
      personas: ids.map((id) => ({ id, skill: 3 })),
      question_count: 3,
      language: this.state.lang,
      turn_mode: 'round_robin',
      answer_seconds: 60,
      max_humans: 4,
      private: false,
      categories: ['behavioural', 'technical', 'culture_fit', 'company'],
      difficulty: 'mixed',
    });
  }

  async joinRoom(target: { room_id?: string; join_code?: string | null; role: Role }, createdState?: any): Promise<boolean> {
    const payload: Record<string, unknown> = { role: target.role };
    if (target.room_id) payload.room_id = target.room_id;
    const code = target.join_code ? target.join_code.trim().toUpperCase() : null;
    if (code) payload.join_code = code;
    this.set({ joining: { room_id: target.room_id ?? '', role: target.role, join_code: target.join_code } });
    const sentAt = this.deps.now();
    try {
      let ack: any;
      try {
        ack = await this.emit('join_room', payload);
        this.refineClock(ack?.state, sentAt);
      } catch (e) {
        // create_room may already seat the host: fall back to the state we have.
        if ((e as ArenaError).code === 'already_in_room' && createdState) ack = { ok: true, state: createdState };
        else if ((e as ArenaError).code === 'already_in_room' && target.room_id) {
          const st = await this.emit('request_state', {});
          if (st?.state?.room_id !== target.room_id) throw e;
          ack = st;
        } else throw e;
      }
      this.acceptJoin(ack, target.role, code);
      return true;
    } catch (e) {
      this.set({ joining: null });
      this.showError(e);
      return false;
    }
  }

  private acceptJoin(ack: any, role: Role, joinCode?: string | null) {
    const resuming = this.state.sync.resyncing && this.state.sync.room ? this.state.sync : null;
    let state: SyncState;
    let gap = false;
    if (ack?.replay && this.state.sync.room) {
      // Rejoin with last_seq: the missed events came first (buffered with any live ones after them).
      const r = resumeFromBuffer(this.state.sync);
      state = r.state;
      gap = r.resync || (typeof ack.replay.to_seq === 'number' && state.room!.seq < ack.replay.to_seq);
    } else {
      const st = ack?.state ?? ack;
      if (!st || !st.room_id) throw new ArenaError('internal_error', 'join without state');
      if (resuming && resuming.room!.room_id === st.room_id) {
        // The server no longer had our gap: its snapshot replaces our room, buffered events go on top.
        const r = ingestSnapshot(resuming, st);
        state = r.state;
        gap = r.resync;
      } else {
        state = ingestSnapshot({ ...emptySync }, st).state;
        // Events broadcast between the snapshot and its ack: apply those newer than the snapshot.
        const early = this.preJoin.filter((e) => e.payload?.room_id === st.room_id).sort((a, b) => a.payload.seq - b.payload.seq);
        for (const e of early) {
          const r = ingestEvent(state, e);
          state = r.state;
          gap = gap || r.resync;
        }
      }
    }
    this.preJoin = [];
    const room = state.room!;
    if (!room.you?.role) room.you = { participant_id: room.you?.participant_id ?? null, role };
    this.saveRoom({ room_id: room.room_id, role, join_code: room.join_code ?? joinCode ?? null });
    const submitted = { ...this.state.submitted };
    const me = room.you.participant_id ?? this.state.auth?.user_id;
    if (room.question && room.answers.some((a) => a.participant_id === me)) submitted[room.question.question_id] = true;
    if (room.question && room.answers.some((a) => a.participant_id === me && a.follow_up_of)) submitted[followUpKey(room.question.question_id)] = true;
    this.set({ sync: state, joining: null, results: null, submitted });
    if (gap) this.requestState();
    if (room.phase === 'finished') this.markFinished(room);
  }

  async leaveRoom() {
    const inRoom = !!this.room;
    this.flushDraftTimer();
    this.saveRoom(null);
    this.set({ sync: emptySync, joining: null, results: null, submitted: {} });
    if (inRoom && this.socket?.connected) {
      try {
        await this.emit('leave_room', {});
      } catch (e) {
        const code = (e as ArenaError).code;
        if (code !== 'not_in_room' && code !== 'room_not_found') this.showError(e);
      }
    }
    this.refreshLobby();
  }

  // ---- room events ------------------------------------------------------------------------
  private onSnapshot(raw: any) {
    if (!raw?.room_id || !this.room) return;
    if (raw.room_id !== this.room.room_id) return;
    const { state, resync } = ingestSnapshot(this.state.sync, raw);
    this.set({ sync: state });
    if (resync) this.requestState();
    this.afterRoomChange();
  }

  private onRoomEvent(name: string, payload: any) {
    const before = this.state.sync;
    if (!before.room) {
      if (this.state.joining && this.preJoin.length < 500) this.preJoin.push({ name, payload: payload ?? {} });
      return;
    }
    const { state, resync } = ingestEvent(before, { name, payload: payload ?? {} });
    if (state !== before) this.set({ sync: state });
    if (resync) this.requestState();
    this.afterRoomChange();
  }

  private removedFromRoom(text: string) {
    if (!this.room && !this.state.joining) return;
    this.saveRoom(null);
    this.set({ sync: emptySync, submitted: {}, joining: null });
    this.toast(text, 'info');
    this.refreshLobby();
  }

  private afterRoomChange() {
    const room = this.room;
    if (!room) return;
    if (room.removed) {
      this.removedFromRoom(room.removed === 'kicked' ? errorText(this.state.lang, 'kicked') : this.t('room.removed'));
      return;
    }
    if (room.phase === 'finished') this.markFinished(room);
  }

  private markFinished(room: ClientRoom) {
    const saved = this.savedRoom();
    if (saved && saved.room_id === room.room_id && !saved.finished) this.saveRoom({ ...saved, finished: true });
  }

  /** Ask for a full snapshot (after a seq gap, or when unsure). */
  async requestState(): Promise<boolean> {
    if (this.resyncInFlight) return false;
    this.resyncInFlight = true;
    const sentAt = this.deps.now();
    try {
      const ack = await this.emit('request_state', {});
      const st = ack?.state;
      this.refineClock(st, sentAt);
      if (st && st.room_id) {
        const sync = this.state.sync.room ? this.state.sync : { ...emptySync };
        const base = sync.room && sync.room.room_id === st.room_id ? { ...sync, resyncing: true } : { ...emptySync };
        const { state, resync } = ingestSnapshot(base, st);
        this.set({ sync: state });
        this.resyncInFlight = false;
        if (resync) this.requestState();
        this.afterRoomChange();
        return true;
      }
      return false;
    } catch (e) {
      // Keep the old state; the next event will retry. Stop the spinner.
      this.set({ sync: { ...this.state.sync, resyncing: false, buffer: [] } });
      if ((e as ArenaError).code !== 'not_in_room') this.showError(e);
      return false;
    } finally {
      this.resyncInFlight = false;
    }
  }

  // ---- player actions ---------------------------------------------------------------------
  async setReady(ready: boolean) {
    return !!(await this.run(() => this.emit('set_ready', { ready })));
  }
  async startMatch() {
    return !!(await this.run(() => this.emit('start_match', {})));
  }
  async kick(participant_id: string) {
    return !!(await this.run(() => this.emit('kick_player', { participant_id })));
  }
  async endSession() {
    return !!(await this.run(() => this.emit('session_end', {})));
  }

  /** Live typing: throttled to one message per draftIntervalMs, always sending the latest text. */
  sendDraft(text: string) {
    this.draftPending = text;
    if (this.draftTimer) return;
    const wait = Math.max(0, this.draftLastSent + this.deps.draftIntervalMs - this.deps.now());
    const fire = () => {
      this.draftTimer = null;
      const t = this.draftPending;
      this.draftPending = null;
      if (t == null || t === this.draftSentText) return;
      this.draftLastSent = this.deps.now();
      this.draftSentText = t;
      this.recentDrafts = [...this.recentDrafts.slice(-7), t];
      this.emit('answer_draft', { text: t }).catch((e: ArenaError) => {
        if (e.code === 'text_too_long') this.showError(e);
      });
    };
    if (wait === 0) fire();
    else this.draftTimer = setTimeout(fire, wait);
  }

  /** Was `text` one of our own recent drafts (an echo of our typing, not a transcript)? */
  isOwnDraft(text: string): boolean {
    return this.recentDrafts.includes(text);
  }

  /** Speaker-only media events (`audio_processed`); returns an unsubscribe function. */
  onMedia(fn: (name: string, payload: any) => void): () => void {
    this.mediaListeners.add(fn);
    return () => this.mediaListeners.delete(fn);
  }

  private flushDraftTimer() {
    if (this.draftTimer) clearTimeout(this.draftTimer);
    this.draftTimer = null;
    this.draftPending = null;
  }

  async submitAnswer(text: string): Promise<boolean> {
    const room = this.room;
    const q = room?.question?.question_id;
    // A follow-up turn is a second answer to the same question: track it under its own key.
    const qid = q && room?.turn?.follow_up && room.turn.participant_id === this.myId() ? followUpKey(q) : q;
    this.flushDraftTimer();
    try {
      await this.emit('submit_answer', { text });
      this.draftSentText = '';
      if (qid) this.set({ submitted: { ...this.state.submitted, [qid]: true } });
      this.toast(this.t('match.submitted'), 'success');
      return true;
    } catch (e) {
      if ((e as ArenaError).code === 'already_submitted' && qid) this.set({ submitted: { ...this.state.submitted, [qid]: true } });
      this.showError(e);
      return false;
    }
  }

  // ---- results ----------------------------------------------------------------------------
  async fetchReport(roomId: string): Promise<Report> {
    return this.http.report(roomId);
  }

  closeResults() {
    this.saveRoom(null);
    const wasInRoom = !!this.room;
    this.set({ results: null, sync: emptySync, submitted: {} });
    if (wasInRoom && this.socket?.connected) this.emit('leave_room', {}).catch(() => undefined);
    this.refreshLobby();
  }

  /** The participant id that is "you" in the current room. */
  myId(): string | null {
    const room = this.room;
    if (room?.you?.role === 'spectator') return null;
    return room?.you?.participant_id ?? this.state.auth?.user_id ?? null;
  }
}
