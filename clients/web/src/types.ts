// Wire shapes of the Interview Arena protocol (version 1), as the client sees them.
// Everything optional that the contract does not promise is typed optional so the UI
// degrades instead of crashing when a field is missing.

export type Lang = 'ko' | 'en';
export type Phase = 'lobby' | 'countdown' | 'question' | 'answering' | 'scoring' | 'reveal' | 'finished';
export type Kind = 'human' | 'ai';
export type Presence = 'online' | 'away' | 'left';
export type TurnMode = 'round_robin' | 'simultaneous';
export type Category = 'behavioural' | 'technical' | 'culture_fit' | 'company';
export type Role = 'player' | 'spectator';

export const CATEGORIES: Category[] = ['behavioural', 'technical', 'culture_fit', 'company'];
export const DIFFICULTIES = ['mixed', 'easy', 'medium', 'hard', 'adaptive'] as const;
export type Difficulty = (typeof DIFFICULTIES)[number];

/** A string the server may send either plain or per language. */
export type LocText = string | Partial<Record<Lang, string>>;

export interface Persona {
  id: string;
  company: LocText;
  name: LocText;
  summary: LocText;
  skills: (LocText)[] | Partial<Record<Lang, string[]>>;
}

export interface RoomSummary {
  room_id: string;
  title: string;
  phase: Phase;
  humans: number;
  max_humans: number;
  personas: (string | { id: string; skill?: number })[] | number;
  language: Lang;
  spectators?: number;
}

export interface PersonaSeat {
  id: string;
  skill?: number;
}

export interface RoomSettings {
  title: string;
  personas: PersonaSeat[];
  question_count: number;
  language: Lang;
  turn_mode: TurnMode;
  answer_seconds: number;
  max_humans: number;
  private: boolean;
  categories?: Category[];
  difficulty?: string;
  /** Round robin only: the interviewer asks one candidate per question a follow-up. */
  follow_ups?: boolean;
  /** Host opt-in: facial expression counts a little in spoken answers' scores (advisory otherwise). */
  score_expression?: boolean;
  /** Ask these questions in order: your résumé's set, or bank ids (a learning plan's retries). */
  question_source?: { resume_id: string } | { question_ids: string[] };
  /** A practice room for one: the host may start alone (max_humans 1). */
  solo?: boolean;
}

export interface Participant {
  participant_id: string;
  kind: Kind;
  display_name: string;
  persona_id?: string | null;
  company?: string | null;
  skill?: number | null;
  is_host?: boolean;
  ready?: boolean;
  presence?: Presence;
  score?: number;
  rank?: number;
}

export interface Question {
  question_id: string;
  text: string;
  category: Category | string;
  index: number;
  total: number;
}

export interface Turn {
  participant_id: string | null;
  deadline_ms: number;
  /** Set on a follow-up turn: the follow-up question. */
  follow_up?: string | null;
}

/** A follow-up question the interviewer asked one candidate (`follow_up_asked`). */
export interface FollowUp {
  participant_id: string;
  question_id: string;
  text: string;
  deadline_ms?: number | null;
}

export interface Answer {
  answer_id: string;
  participant_id: string;
  question_id: string;
  text: string;
  score?: number | null;
  dimensions?: Record<string, number> | null;
  feedback?: string | string[] | Record<string, unknown> | null;
  /** Sent by the server at the deadline (or because the player was away). */
  auto_submitted?: boolean;
  /** No answer at all (an absent player's turn was skipped). */
  skipped?: boolean;
  /** A follow-up answer: the main answer it follows up, and the follow-up question. */
  follow_up_of?: string | null;
  follow_up_question?: string | null;
}

export interface LeaderboardEntry {
  participant_id: string;
  display_name: string;
  kind: Kind;
  score: number;
  rank: number;
}

export interface RoomState {
  room_id: string;
  seq: number;
  title: string;
  phase: Phase;
  phase_ends_ms: number | null;
  join_code: string | null;
  host_id: string | null;
  settings: RoomSettings;
  participants: Participant[];
  spectators: number;
  question: Question | null;
  turn_order: string[];
  turn: Turn | null;
  answers: Answer[];
  drafts: Record<string, string>;
  leaderboard: LeaderboardEntry[];
  you: { participant_id: string | null; role: Role };
  question_index?: number;
}

export interface ReportAnswer {
  answer_id: string;
  participant_id: string;
  text: string;
  score: number;
  dimensions: Record<string, number>;
  feedback: Answer['feedback'];
}

export interface Report {
  room_id: string;
  title: string;
  end_reason?: string | null;
  language: Lang;
  participants: Participant[];
  ranking: LeaderboardEntry[];
  questions: { question_id: string; index: number; text: string; category: string; answers: ReportAnswer[] }[];
}

export interface ErrorBody {
  code: string;
  message: string;
}

export type Ack<T = Record<string, unknown>> = ({ ok: true } & T) | { ok: false; error: ErrorBody };

export interface RealtimeFeedback {
  participant_id: string;
  kind: string;
  message: string;
  at: number;
}
