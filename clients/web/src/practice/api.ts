// HTTP calls of the résumé and learning-plan routes (docs/resumes.md).
import { ArenaError } from '../api';

export interface TailoredQuestion {
  question_id: string;
  text: string;
  category: string;
  topic?: string;
  key_points: string[];
  red_flags: string[];
  source?: { kind: string; ref?: string; evidence?: string[] };
  origin?: string;
  relevance?: number | null;
}

export interface PlanItem {
  id: string;
  kind: 'dimension' | 'topic';
  /** The dimension or topic, named in the plan's language. */
  label?: string;
  dimension?: string;
  topic?: string;
  category?: string;
  average: number;
  answers: number;
  reason: string;
  practice: string;
  question_ids: string[];
  evidence: { room_id: string; question_id: string; question: string; score: number; dimension_score?: number; finished_at: string }[];
  solo_room: Record<string, unknown>;
}

export interface Plan {
  items: PlanItem[];
  based_on: { matches: number; answers: number };
  averages: Record<string, number>;
  labels?: Record<string, string>;
  updated_at: string | null;
}

export interface JobEvent {
  job_id: string;
  state: 'queued' | 'running' | 'done' | 'failed';
  progress: number;
  error?: string;
}

async function call<T>(token: string | null, path: string, init: RequestInit = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  let res: Response;
  try {
    res = await fetch(path, { ...init, headers: { ...headers, ...(init.headers as Record<string, string>) } });
  } catch (e) {
    throw new ArenaError('network', String((e as Error)?.message ?? e));
  }
  const body: any = await res.json().catch(() => null);
  if (!res.ok) throw new ArenaError(body?.error?.code ?? 'http', body?.error?.message ?? `HTTP ${res.status}`, res.status);
  return body as T;
}

export const practiceApi = {
  upload(token: string | null, file: File) {
    const form = new FormData();
    form.append('file', file, file.name);
    return call<{ resume_id: string; job_id: string; language: string; kind: string }>(token, '/api/v1/resumes', { method: 'POST', body: form });
  },
  list: (token: string | null) => call<{ resumes: { resume_id: string; filename: string; language: string; doc_kind: string; questions: number; created_at: string }[] }>(token, '/api/v1/resumes'),
  questions: (token: string | null, id: string, lang: string) =>
    call<{ questions: TailoredQuestion[]; language: string; ready: boolean }>(token, `/api/v1/resumes/${encodeURIComponent(id)}/questions?lang=${lang}`),
  remove: (token: string | null, id: string) => call<{ ok: boolean }>(token, `/api/v1/resumes/${encodeURIComponent(id)}`, { method: 'DELETE' }),
  plan: (token: string | null, lang: string) => call<Plan>(token, `/api/v1/me/learning-plan?lang=${lang}`),
  /** Follow a job over SSE (EventSource cannot send headers: the token goes in the query). */
  follow(token: string | null, jobId: string, onEvent: (e: JobEvent) => void): () => void {
    const es = new EventSource(`/api/v1/jobs/${encodeURIComponent(jobId)}/events?access_token=${encodeURIComponent(token ?? '')}`);
    es.addEventListener('job', (m) => {
      const ev = JSON.parse((m as MessageEvent).data) as JobEvent;
      onEvent(ev);
      if (ev.state === 'done' || ev.state === 'failed') es.close();
    });
    es.onerror = () => es.close();
    return () => es.close();
  },
};
