// Test doubles: a scripted socket.io socket, a fetch stub, and fixtures shaped like the contract.
import { Arena, type SocketLike } from '../arena';
import type { Persona, Report, RoomState } from '../types';

type Handler = (...args: any[]) => void;
export type AckHandler = (payload: any) => any;

export class FakeSocket implements SocketLike {
  connected = false;
  handlers = new Map<string, Handler[]>();
  sent: { event: string; payload: any }[] = [];
  /** event → reply builder; default replies {ok:true}. */
  replies: Record<string, AckHandler> = {};
  opts: any;
  constructor(opts: any) {
    this.opts = opts;
  }
  anyHandlers: ((event: string, ...args: any[]) => void)[] = [];
  onAny(fn: (event: string, ...args: any[]) => void) {
    this.anyHandlers.push(fn);
    return this;
  }
  on(event: string, fn: Handler) {
    const list = this.handlers.get(event) ?? [];
    list.push(fn);
    this.handlers.set(event, list);
    return this;
  }
  emit(event: string, payload: any, ack?: (r: any) => void) {
    this.sent.push({ event, payload });
    const reply = this.replies[event] ? this.replies[event](payload) : { ok: true };
    if (ack && reply !== undefined) queueMicrotask(() => ack(reply));
    return this;
  }
  /** Server → client push. */
  push(event: string, ...args: any[]) {
    const reserved = ['connect', 'disconnect', 'connect_error'];
    if (!reserved.includes(event)) for (const fn of this.anyHandlers) fn(event, ...args);
    for (const fn of this.handlers.get(event) ?? []) fn(...args);
  }
  connect() {
    this.connected = true;
    this.push('connect');
    return this;
  }
  disconnect() {
    this.connected = false;
    return this;
  }
  drop() {
    this.connected = false;
    this.push('disconnect', 'transport close');
  }
  sentOf(event: string) {
    return this.sent.filter((s) => s.event === event).map((s) => s.payload);
  }
}

export class MemStorage {
  m = new Map<string, string>();
  getItem(k: string) {
    return this.m.has(k) ? this.m.get(k)! : null;
  }
  setItem(k: string, v: string) {
    this.m.set(k, v);
  }
  removeItem(k: string) {
    this.m.delete(k);
  }
}

export const personas: Persona[] = [
  { id: 'naver', company: { ko: '네이버', en: 'Naver' }, name: { ko: '김서준', en: 'Seojun Kim' }, summary: { ko: '검색·대규모 시스템', en: 'Search and large-scale systems' }, skills: ['search', 'large-scale systems', 'Java'] },
  { id: 'kakao', company: '카카오', name: 'Minji', summary: 'Platform and MSA architecture', skills: ['MSA', 'Kotlin'] },
  { id: 'toss', company: 'Toss', name: 'Hyun', summary: 'Fintech, security, UX', skills: ['security', 'UX'] },
];

export function roomFixture(over: Partial<RoomState> = {}): RoomState {
  return {
    room_id: 'r1',
    seq: 10,
    title: 'Friday mock',
    phase: 'lobby',
    phase_ends_ms: null,
    join_code: 'QX7K2P',
    host_id: 'u1',
    settings: {
      title: 'Friday mock',
      personas: [{ id: 'naver', skill: 3 }],
      question_count: 3,
      language: 'en',
      turn_mode: 'round_robin',
      answer_seconds: 30,
      max_humans: 3,
      private: false,
      categories: ['behavioural', 'technical'],
      difficulty: 'mixed',
    },
    participants: [
      { participant_id: 'u1', kind: 'human', display_name: 'Host Hana', is_host: true, ready: true, presence: 'online', score: 0, rank: 1 },
      { participant_id: 'u2', kind: 'human', display_name: 'Player Park', is_host: false, ready: false, presence: 'online', score: 0, rank: 2 },
      { participant_id: 'ai:naver', kind: 'ai', display_name: 'Seojun (Naver)', persona_id: 'naver', company: 'Naver', skill: 3, ready: true, presence: 'online', score: 0, rank: 3 },
    ],
    spectators: 0,
    question: null,
    turn_order: [],
    turn: null,
    answers: [],
    drafts: {},
    leaderboard: [],
    you: { participant_id: 'u1', role: 'player' },
    ...over,
  };
}

export function matchFixture(over: Partial<RoomState> = {}): RoomState {
  return roomFixture({
    phase: 'answering',
    seq: 40,
    question: { question_id: 'q1', text: 'Tell us about a conflict in your team.', category: 'behavioural', index: 1, total: 3 },
    turn_order: ['ai:naver', 'u1', 'u2'],
    turn: { participant_id: 'u1', deadline_ms: 1_000_000 + 20_000 },
    leaderboard: [
      { participant_id: 'ai:naver', display_name: 'Seojun (Naver)', kind: 'ai', score: 71, rank: 1 },
      { participant_id: 'u1', display_name: 'Host Hana', kind: 'human', score: 0, rank: 2 },
      { participant_id: 'u2', display_name: 'Player Park', kind: 'human', score: 0, rank: 3 },
    ],
    answers: [
      {
        answer_id: 'a1',
        participant_id: 'ai:naver',
        question_id: 'q1',
        text: 'At Naver search we had a disagreement about caching…',
        score: 71,
        dimensions: { relevance: 80, structure: 70, specificity: 65, depth: 60, communication: 75 },
        feedback: 'Clear STAR structure; add numbers.',
      },
    ],
    ...over,
  });
}

export const reportFixture: Report = {
  room_id: 'r1',
  title: 'Friday mock',
  language: 'en',
  participants: roomFixture().participants,
  ranking: [
    { participant_id: 'u2', display_name: 'Player Park', kind: 'human', score: 240, rank: 1 },
    { participant_id: 'ai:naver', display_name: 'Seojun (Naver)', kind: 'ai', score: 210, rank: 2 },
    { participant_id: 'u1', display_name: 'Host Hana', kind: 'human', score: 150, rank: 3 },
  ],
  questions: [0, 1, 2].map((i) => ({
    question_id: `q${i + 1}`,
    index: i + 1,
    text: `Question number ${i + 1}?`,
    category: 'technical',
    answers: [
      { answer_id: `a${i}u1`, participant_id: 'u1', text: `Host answer ${i + 1}`, score: 50, dimensions: { relevance: 50, depth: 40 }, feedback: 'More detail.' },
      { answer_id: `a${i}u2`, participant_id: 'u2', text: `Park answer ${i + 1}`, score: 80, dimensions: { relevance: 85, depth: 75 }, feedback: ['Great numbers'] },
      { answer_id: `a${i}ai`, participant_id: 'ai:naver', text: `AI answer ${i + 1}`, score: 70, dimensions: { relevance: 70, depth: 70 }, feedback: 'ok' },
    ],
  })),
};

export function jsonResponse(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

export interface Harness {
  arena: Arena;
  sockets: FakeSocket[];
  socket: () => FakeSocket;
  storage: MemStorage;
  fetch: ReturnType<typeof vi.fn>;
  clock: { now: number };
}

/** An Arena wired to fakes. `signedIn` pre-stores a token so it starts in the lobby. */
export function makeArena(opts: { signedIn?: boolean; lang?: 'ko' | 'en'; storage?: MemStorage; replies?: Record<string, AckHandler>; fetchImpl?: (url: string, init?: RequestInit) => Response | Promise<Response> } = {}): Harness {
  const storage = opts.storage ?? new MemStorage();
  if (opts.signedIn !== false && !storage.getItem('arena.token')) {
    storage.setItem('arena.token', 'tok-1');
    storage.setItem('arena.user', JSON.stringify({ user_id: 'u1', display_name: 'Host Hana' }));
  }
  if (opts.lang) storage.setItem('arena.lang', opts.lang);
  const sockets: FakeSocket[] = [];
  const clock = { now: 1_000_000 };
  const fetchFn = vi.fn(async (url: string, init?: RequestInit) => {
    if (opts.fetchImpl) return opts.fetchImpl(url, init);
    if (url.endsWith('/api/v1/auth/guest')) return jsonResponse({ token: 'tok-new', user_id: 'u9' });
    if (url.includes('/api/v1/personas')) return jsonResponse(personas);
    if (url.includes('/report')) return jsonResponse(reportFixture);
    return jsonResponse({ error: { code: 'http', message: 'nope' } }, 404);
  });
  const arena = new Arena({
    socketFactory: (_url, o) => {
      const s = new FakeSocket(o);
      s.replies = {
        list_rooms: () => ({ ok: true, rooms: [] }),
        ...(opts.replies ?? {}),
      };
      sockets.push(s);
      return s;
    },
    fetch: fetchFn as any,
    storage,
    navigatorLike: { language: opts.lang ?? 'en' },
    now: () => clock.now,
    ackTimeoutMs: 500,
    draftIntervalMs: 300,
  });
  return { arena, sockets, socket: () => sockets[sockets.length - 1], storage, fetch: fetchFn, clock };
}

export const flush = () => new Promise((r) => setTimeout(r, 0));
