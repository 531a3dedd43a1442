// ko/en strings of the history, replay and board pages (kept apart from i18n.ts).
import { useCallback } from 'react';
import { useArenaState } from './useArena';
import type { Lang } from './types';

const en = {
  'nav.history': 'My history',
  'history.title': 'My history',
  'history.empty': 'No finished matches yet. Play one and it shows up here.',
  'history.matches': 'Matches',
  'history.byDimension': 'Scores by dimension over time',
  'history.byCategory': 'Mean score by question category',
  'history.score': 'Total',
  'history.mean': 'Mean per answer',
  'history.rank': 'Rank',
  'history.replay': 'Replay',
  'history.when': 'Finished',
  'history.trend': '{delta} since the first match',
  'replay.title': 'Replay',
  'replay.for': 'Answers of {name}',
  'replay.yours': 'Answer',
  'replay.noAnswer': '(no answer)',
  'replay.score': 'Score',
  'replay.feedback': 'Feedback',
  'replay.keyPoints': 'Rubric key points',
  'replay.missed': 'missed',
  'replay.covered': 'covered',
  'replay.model': 'A model strong answer',
  'replay.modelBy': 'skill-5 answer in the voice of {persona}',
  'replay.best': 'Best answer in this match: {name} ({score})',
  'replay.followUp': 'Follow-up',
  'replay.recording': 'Recording',
  'replay.loadRecording': 'Play the recording',
  'replay.notes': 'My notes',
  'replay.export': 'Export',
  'replay.share': 'Create a share link',
  'replay.shareHint': 'Anyone with this link can see this report until you revoke it.',
  'replay.revoke': 'Revoke',
  'replay.revoked': 'The link is revoked.',
  'replay.copy': 'Copy',
  'replay.notFound': 'This report does not exist, or you may not see it.',
  'replay.back': 'Back',
  'replay.viaShare': 'Shared report',
  'replay.viaCoach': 'Coach view',
  'boards.title': 'Boards',
  'boards.week': 'This week',
  'boards.all': 'All time',
  'boards.ai': 'AI candidates',
  'boards.empty': 'Nobody on this board yet.',
  'boards.matches': '{n} matches',
  'boards.skill': 'skill {n}',
  'results.private': 'The report of this match is private to its players.',
} as const;

export type HKey = keyof typeof en;

const ko: Record<HKey, string> = {
  'nav.history': '내 기록',
  'history.title': '내 기록',
  'history.empty': '아직 끝난 면접이 없습니다. 한 판 하면 여기에 나옵니다.',
  'history.matches': '면접 목록',
  'history.byDimension': '평가 항목별 점수 추이',
  'history.byCategory': '질문 유형별 평균 점수',
  'history.score': '총점',
  'history.mean': '답변당 평균',
  'history.rank': '순위',
  'history.replay': '다시 보기',
  'history.when': '종료',
  'history.trend': '첫 면접 대비 {delta}',
  'replay.title': '다시 보기',
  'replay.for': '{name}님의 답변',
  'replay.yours': '답변',
  'replay.noAnswer': '(답변 없음)',
  'replay.score': '점수',
  'replay.feedback': '피드백',
  'replay.keyPoints': '평가 기준 핵심 포인트',
  'replay.missed': '놓침',
  'replay.covered': '다룸',
  'replay.model': '모범 답변 예시',
  'replay.modelBy': '{persona} 스타일의 숙련도 5 답변',
  'replay.best': '이 면접의 최고 답변: {name} ({score})',
  'replay.followUp': '꼬리 질문',
  'replay.recording': '녹음',
  'replay.loadRecording': '녹음 재생',
  'replay.notes': '내 메모',
  'replay.export': '내보내기',
  'replay.share': '공유 링크 만들기',
  'replay.shareHint': '링크를 가진 사람은 취소할 때까지 이 리포트를 볼 수 있습니다.',
  'replay.revoke': '링크 취소',
  'replay.revoked': '링크가 취소되었습니다.',
  'replay.copy': '복사',
  'replay.notFound': '리포트가 없거나 볼 권한이 없습니다.',
  'replay.back': '뒤로',
  'replay.viaShare': '공유된 리포트',
  'replay.viaCoach': '코치 보기',
  'boards.title': '랭킹',
  'boards.week': '이번 주',
  'boards.all': '전체',
  'boards.ai': 'AI 지원자',
  'boards.empty': '아직 아무도 없습니다.',
  'boards.matches': '{n}판',
  'boards.skill': '숙련도 {n}',
  'results.private': '이 면접의 리포트는 참가자만 볼 수 있습니다.',
};

export function htranslate(lang: Lang, key: HKey, vars?: Record<string, string | number>): string {
  let s: string = (lang === 'ko' ? ko : en)[key] ?? en[key] ?? key;
  for (const [k, v] of Object.entries(vars ?? {})) s = s.replace(`{${k}}`, String(v));
  return s;
}

export function useHT() {
  const lang = useArenaState((s) => s.lang);
  return useCallback((key: HKey, vars?: Record<string, string | number>) => htranslate(lang, key, vars), [lang]);
}
