// Pure room-state synchronisation: apply versioned server events to the last snapshot.
//
// Rules (protocol.md): every room event carries the room's `seq`, which grows by one.
//  - seq <= current seq         → already applied (or older than the snapshot): ignore.
//  - seq == current seq + 1     → apply.
//  - seq  > current seq + 1     → a gap: buffer the event and ask for a snapshot (request_state).
// When the snapshot arrives, buffered events newer than the snapshot are replayed in order.
// A rejoin with `last_seq` (the seq of the room we still have, in memory or stored across a reload)
// buffers the same way: the server replays the missed events first, and they are applied in order on
// top of that room (resumeFromBuffer), or a snapshot replaces it when the server no longer has them.

import type {
  Answer,
  FollowUp,
  LeaderboardEntry,
  Participant,
  RealtimeFeedback,
  RoomState,
} from './types';

export interface RoomEvent {
  name: string;
  payload: Record<string, any>;
}

export interface ClientRoom extends RoomState {
  /** session_complete payload, when the match is over. */
  complete?: { ranking: LeaderboardEntry[]; report_url?: string } | null;
  /** Delivery feedback (pace, pauses…) for the current question, newest last. */
  rtf: RealtimeFeedback[];
  /** Set when the server removed *you* from the room (kick or leave elsewhere). */
  removed?: boolean | 'kicked';
  /** Simultaneous mode: who has locked in an answer for the current question (answers stay hidden). */
  locked: string[];
  /** Why the match ended (completed, ended_by_host, no_humans_left…). */
  end_reason?: string | null;
  /** The follow-up question asked on the current question (round robin with follow_ups), if any. */
  follow_up?: FollowUp | null;
}

export interface SyncState {
  room: ClientRoom | null;
  resyncing: boolean;
  buffer: RoomEvent[];
}

export const emptySync: SyncState = { room: null, resyncing: false, buffer: [] };

/** Events that mutate a room and carry `seq`. */
export const ROOM_EVENTS = [
  'participant_joined',
  'participant_left',
  'presence_changed',
  'ready_changed',
  'phase_changed',
  'question_asked',
  'turn_started',
  'follow_up_asked',
  'answer_stream',
  'answer_submitted',
  'score_update',
  'leaderboard_update',
  'real_time_feedback',
  'session_complete',
  'settings_changed',
  'turn_order',
  'host_changed',
  'spectator_joined',
  'spectator_left',
  'answer_locked',
] as const;

/** Fill in defaults so the UI never trips over a missing field. */
export function normalizeSnapshot(raw: any, prev?: ClientRoom | null): ClientRoom {
  const s = raw ?? {};
  const settings = s.settings ?? {};
  const room: ClientRoom = {
    room_id: String(s.room_id ?? prev?.room_id ?? ''),
    seq: typeof s.seq === 'number' ? s.seq : 0,
    title: s.title ?? settings.title ?? '',
    phase: s.phase ?? 'lobby',
    phase_ends_ms: s.phase_ends_ms ?? null,
    join_code: s.join_code ?? null,
    host_id: s.host_id ?? null,
    settings: {
      title: settings.title ?? s.title ?? '',
      personas: Array.isArray(settings.personas) ? settings.personas : [],
      question_count: settings.question_count ?? (s.question?.total ?? 0),
      language: settings.language ?? 'ko',
      turn_mode: settings.turn_mode ?? 'round_robin',
      answer_seconds: settings.answer_seconds ?? 60,
      max_humans: settings.max_humans ?? 1,
      private: !!settings.private,
      categories: settings.categories,
      difficulty: settings.difficulty,
    },
    participants: Array.isArray(s.participants) ? s.participants : [],
    spectators: typeof s.spectators === 'number' ? s.spectators : Array.isArray(s.spectators) ? s.spectators.length : 0,
    question: s.question ?? null,
    turn_order: Array.isArray(s.turn_order) ? s.turn_order : [],
    turn: s.turn ?? null,
    answers: Array.isArray(s.answers) ? s.answers : [],
    drafts: s.drafts && typeof s.drafts === 'object' ? { ...s.drafts } : {},
    leaderboard: Array.isArray(s.leaderboard) ? s.leaderboard : [],
    you: s.you ?? prev?.you ?? { participant_id: null, role: 'player' },
    question_index: s.question_index ?? s.question?.index,
    complete: s.complete ?? (prev && prev.room_id === s.room_id ? prev.complete : null) ?? null,
    rtf: prev && prev.room_id === s.room_id && prev.question?.question_id === s.question?.question_id ? prev.rtf : [],
    locked: prev && prev.room_id === s.room_id && prev.question?.question_id === s.question?.question_id ? prev.locked : [],
    end_reason: s.end_reason ?? null,
    follow_up: snapshotFollowUp(s, prev),
  };
  return room;
}

/** The current question's follow-up in a snapshot: the turn's, an answered one's, or the one we had. */
function snapshotFollowUp(s: any, prev?: ClientRoom | null): FollowUp | null {
  const qid = s.question?.question_id;
  if (!qid) return null;
  const turn = s.turn;
  if (turn?.follow_up && turn.participant_id) {
    return { participant_id: turn.participant_id, question_id: qid, text: String(turn.follow_up), deadline_ms: turn.deadline_ms ?? null };
  }
  const answered = Array.isArray(s.answers) ? s.answers.find((a: any) => a?.follow_up_of && a.follow_up_question && a.question_id === qid) : null;
  if (answered) return { participant_id: answered.participant_id, question_id: qid, text: String(answered.follow_up_question) };
  if (prev && prev.room_id === s.room_id && prev.follow_up?.question_id === qid) return prev.follow_up ?? null;
  return null;
}

function upsertParticipant(list: Participant[], p: Participant): Participant[] {
  const i = list.findIndex((x) => x.participant_id === p.participant_id);
  if (i < 0) return [...list, p];
  const next = list.slice();
  next[i] = { ...list[i], ...p };
  return next;
}

function patchParticipant(list: Participant[], id: string, patch: Partial<Participant>): Participant[] {
  return list.map((p) => (p.participant_id === id ? { ...p, ...patch } : p));
}

function upsertAnswer(list: Answer[], a: Partial<Answer> & { participant_id: string }): Answer[] {
  const i = list.findIndex(
    (x) => (a.answer_id && x.answer_id === a.answer_id) || (!x.answer_id && x.participant_id === a.participant_id),
  );
  const clean: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(a)) if (v !== undefined && k !== 'seq') clean[k] = v;
  if (i < 0) return [...list, { answer_id: '', question_id: '', text: '', ...(clean as any) }];
  const next = list.slice();
  const merged = { ...list[i], ...(clean as any) };
  // A score_update carries no text: keep the text we already have.
  if (!a.text && list[i].text) merged.text = list[i].text;
  next[i] = merged;
  return next;
}

/** Apply one event to the room, ignoring seq bookkeeping except to record it. */
export function applyEvent(room: ClientRoom, ev: RoomEvent): ClientRoom {
  const p = ev.payload ?? {};
  let r: ClientRoom = { ...room };
  if (typeof p.seq === 'number') r.seq = p.seq;
  switch (ev.name) {
    case 'participant_joined': {
      const part: Participant = p.participant ?? stripSeq(p);
      if (part && part.participant_id) r.participants = upsertParticipant(r.participants, part);
      break;
    }
    case 'participant_left': {
      const id = p.participant_id;
      if (id && id === r.you.participant_id) r.removed = p.kicked ? 'kicked' : true;
      if (r.phase === 'lobby') r.participants = r.participants.filter((x) => x.participant_id !== id);
      else r.participants = patchParticipant(r.participants, id, { presence: 'left' });
      if (r.phase === 'lobby') r.turn_order = r.turn_order.filter((x) => x !== id);
      break;
    }
    case 'presence_changed':
      r.participants = patchParticipant(r.participants, p.participant_id, { presence: p.presence });
      break;
    case 'ready_changed':
      r.participants = patchParticipant(r.participants, p.participant_id, { ready: !!p.ready });
      break;
    case 'settings_changed':
      if (p.settings) r.settings = { ...r.settings, ...p.settings };
      break;
    case 'turn_order':
      if (Array.isArray(p.order)) r.turn_order = p.order;
      break;
    case 'host_changed':
      if (p.host_id) {
        r.host_id = p.host_id;
        r.participants = r.participants.map((x) => ({ ...x, is_host: x.participant_id === p.host_id }));
      }
      break;
    case 'spectator_joined':
    case 'spectator_left':
      if (typeof p.spectators === 'number') r.spectators = p.spectators;
      break;
    case 'answer_locked':
      if (p.participant_id && !r.locked.includes(p.participant_id)) r.locked = [...r.locked, p.participant_id];
      break;
    case 'phase_changed': {
      if (p.reason) r.end_reason = p.reason;
      r.phase = p.phase ?? r.phase;
      r.phase_ends_ms = p.phase_ends_ms ?? null;
      if (typeof p.question_index === 'number') r.question_index = p.question_index;
      if (p.phase === 'question' || p.phase === 'countdown') r.turn = null;
      if (Array.isArray(p.turn_order)) r.turn_order = p.turn_order;
      break;
    }
    case 'question_asked': {
      const q = stripSeq(p);
      const changed = q.question_id !== r.question?.question_id;
      r.question = {
        question_id: q.question_id,
        text: q.text,
        category: q.category,
        index: q.index,
        total: q.total,
      };
      r.question_index = q.index;
      if (Array.isArray(q.turn_order)) r.turn_order = q.turn_order;
      if (changed) {
        r.answers = [];
        r.drafts = {};
        r.turn = null;
        r.rtf = [];
        r.locked = [];
        r.follow_up = null;
      }
      break;
    }
    case 'turn_started':
      r.turn = { participant_id: p.participant_id ?? null, deadline_ms: p.deadline_ms, follow_up: p.follow_up ?? null };
      if (p.follow_up && p.participant_id) {
        r.follow_up = {
          participant_id: p.participant_id,
          question_id: p.question_id ?? r.question?.question_id ?? '',
          text: String(p.follow_up),
          deadline_ms: p.deadline_ms ?? null,
        };
      }
      if (r.phase !== 'answering') r.phase = 'answering';
      break;
    case 'follow_up_asked':
      if (p.participant_id && p.text) {
        r.follow_up = {
          participant_id: p.participant_id,
          question_id: p.question_id ?? r.question?.question_id ?? '',
          text: String(p.text),
          deadline_ms: p.deadline_ms ?? null,
        };
      }
      break;
    case 'answer_stream':
      if (p.participant_id) r.drafts = { ...r.drafts, [p.participant_id]: String(p.text ?? '') };
      break;
    case 'answer_submitted': {
      r.answers = upsertAnswer(r.answers, {
        answer_id: p.answer_id,
        participant_id: p.participant_id,
        question_id: p.question_id,
        text: p.text ?? '',
        auto_submitted: p.auto_submitted,
        skipped: p.skipped,
        follow_up_of: p.follow_up_of,
      });
      const drafts = { ...r.drafts };
      delete drafts[p.participant_id];
      r.drafts = drafts;
      break;
    }
    case 'score_update':
      r.answers = upsertAnswer(r.answers, {
        answer_id: p.answer_id,
        participant_id: p.participant_id,
        question_id: p.question_id,
        score: p.score,
        dimensions: p.dimensions,
        feedback: p.feedback,
      });
      break;
    case 'leaderboard_update': {
      const entries: LeaderboardEntry[] = Array.isArray(p.entries) ? p.entries : [];
      r.leaderboard = entries;
      const byId = new Map(entries.map((e) => [e.participant_id, e]));
      r.participants = r.participants.map((x) => {
        const e = byId.get(x.participant_id);
        return e ? { ...x, score: e.score, rank: e.rank } : x;
      });
      break;
    }
    case 'real_time_feedback':
      r.rtf = [...r.rtf.slice(-19), { participant_id: p.participant_id, kind: p.kind, message: p.message, at: Date.now() }];
      break;
    case 'session_complete':
      r.phase = 'finished';
      r.phase_ends_ms = null;
      r.turn = null;
      r.complete = { ranking: Array.isArray(p.ranking) ? p.ranking : [], report_url: p.report_url };
      if (Array.isArray(p.ranking) && p.ranking.length) r.leaderboard = p.ranking;
      break;
    default:
      break;
  }
  return r;
}

function stripSeq(p: Record<string, any>): any {
  const { seq: _seq, ...rest } = p;
  return rest;
}

/** Feed one room event. Returns the new state and whether a snapshot must be requested. */
export function ingestEvent(s: SyncState, ev: RoomEvent): { state: SyncState; resync: boolean } {
  const room = s.room;
  if (!room) return { state: s, resync: false };
  if (ev.payload?.room_id && room.room_id && ev.payload.room_id !== room.room_id) return { state: s, resync: false };
  const seq = ev.payload?.seq;
  if (typeof seq !== 'number') {
    // Not versioned: apply as is (should not happen for room events).
    return { state: { ...s, room: applyEvent(room, ev) }, resync: false };
  }
  if (seq <= room.seq) return { state: s, resync: false };
  if (s.resyncing) return { state: { ...s, buffer: [...s.buffer, ev] }, resync: false };
  if (seq === room.seq + 1) return { state: { ...s, room: applyEvent(room, ev) }, resync: false };
  return { state: { ...s, resyncing: true, buffer: [...s.buffer, ev] }, resync: true };
}

/** Install a snapshot (join ack, request_state ack, or a pushed room_state). */
export function ingestSnapshot(s: SyncState, raw: any): { state: SyncState; resync: boolean } {
  const prev = s.room;
  const sameRoom = !!prev && prev.room_id === raw?.room_id;
  if (sameRoom && !s.resyncing && typeof raw?.seq === 'number' && raw.seq < prev!.seq) {
    return { state: s, resync: false }; // stale snapshot
  }
  return catchUp(normalizeSnapshot(raw, sameRoom ? prev : null), sameRoom ? s.buffer : []);
}

/**
 * Leave resync mode without a snapshot: apply the buffered events that follow the room's own seq, in
 * order. Used after a rejoin with `last_seq`, when the server replayed the missed events (they were
 * buffered with the live ones that followed). `resync` is true if a gap remains.
 */
export function resumeFromBuffer(s: SyncState): { state: SyncState; resync: boolean } {
  if (!s.room) return { state: { ...emptySync }, resync: false };
  return catchUp(s.room, s.buffer);
}

/** Apply the buffered events newer than `room.seq` that follow without a gap; keep the rest buffered. */
function catchUp(start: ClientRoom, buffer: RoomEvent[]): { state: SyncState; resync: boolean } {
  let room = start;
  const pending = buffer.filter((e) => e.payload.seq > room.seq).sort((a, b) => a.payload.seq - b.payload.seq);
  let i = 0;
  while (i < pending.length && pending[i].payload.seq <= room.seq + 1) {
    if (pending[i].payload.seq === room.seq + 1) room = applyEvent(room, pending[i]); // else: a duplicate
    i++;
  }
  const rest = pending.slice(i);
  if (rest.length) return { state: { room, resyncing: true, buffer: rest }, resync: true };
  return { state: { room, resyncing: false, buffer: [] }, resync: false };
}

/**
 * Leaderboard rows to show: the server's entries, plus any seated participant the server's last
 * board does not list yet (someone who joined after it was sent), ranked by score.
 */
export function leaderboardOf(room: RoomState): LeaderboardEntry[] {
  const rows: LeaderboardEntry[] = room.leaderboard.map((e) => ({ ...e }));
  const listed = new Set(rows.map((r) => r.participant_id));
  const extra = room.participants
    .filter((p) => !listed.has(p.participant_id) && p.presence !== 'left')
    .map((p) => ({ participant_id: p.participant_id, display_name: p.display_name, kind: p.kind, score: p.score ?? 0, rank: 0 }));
  if (extra.length) {
    const all = [...rows, ...extra];
    for (const x of extra) x.rank = 1 + all.filter((o) => o.score > x.score).length;
    rows.push(...extra);
  }
  if (!room.leaderboard.length) {
    // No board from the server at all: competition ranking by score.
    for (const r of rows) r.rank = 1 + rows.filter((o) => o.score > r.score).length;
  }
  // Stable: ties keep the server's order, late joiners after them.
  return rows.sort((a, b) => a.rank - b.rank);
}
