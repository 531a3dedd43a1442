// Shapes of the history, replay and board routes (server/api/*.py, docs/reports.md).

export interface MatchSummary {
  room_id: string;
  title: string;
  language: string;
  end_reason: string;
  started_at: string;
  finished_at: string;
  score: number;
  rank: number | null;
  players: number;
  questions: number;
  mean_score: number | null;
}

export interface ProgressPoint {
  room_id: string;
  title: string;
  finished_at: string;
  score: number;
  rank: number | null;
  mean_score: number | null;
  dimensions: Record<string, number | null>;
  categories: Record<string, number | null>;
}

export interface Progress {
  matches: ProgressPoint[];
  dimensions: Record<string, { mean: number; first: number; last: number; delta: number; matches: number }>;
  categories: Record<string, { mean: number; answers: number; matches: number }>;
}

export interface Word {
  word: string;
  start: number;
  end: number;
}

export interface ReplayAnswer {
  answer_id: string;
  text: string;
  score: number;
  dimensions: Record<string, number>;
  feedback: string;
  skipped: boolean;
  auto_submitted: boolean;
  follow_up_question?: string | null;
  spoken: boolean;
  recording_url: string | null;
  words: Word[] | null;
}

export interface ReplayQuestion {
  index: number;
  question_id: string;
  text: string;
  category: string;
  difficulty: number;
  answer: ReplayAnswer | null;
  follow_up: ReplayAnswer | null;
  key_points: { text: string; coverage: number; covered: boolean }[];
  missed: string[];
  model_answer: { text: string; persona_id: string; skill: number } | null;
  best: { participant_id: string; display_name: string; score: number; text: string } | null;
}

export interface Replay {
  room_id: string;
  title: string;
  language: string;
  finished_at: string;
  subject: { participant_id: string; display_name: string; kind: string; score: number | null; rank: number | null };
  questions: ReplayQuestion[];
  notes?: { question_id: string | null; text: string }[];
  viewer: { via: 'participant' | 'coach' | 'share'; subject_id: string; user_id: string | null };
}

export interface ShareLink {
  link_id: string;
  token: string;
  created_at: string;
  share_url: string;
  share_path: string;
}

export interface BoardEntry {
  participant_id: string;
  display_name: string;
  score: number;
  rank: number;
  matches: number;
  best?: number;
  persona_id?: string;
  skill?: number;
  answers?: number;
  company?: string | null;
}

export interface Boards {
  humans: { week: BoardEntry[]; all: BoardEntry[] };
  ai: BoardEntry[];
  week_start: string;
}
