// Strings of the résumé and learning-plan pages (#/resume, #/plan), in en and ko.
import { useCallback } from 'react';
import { useArenaState } from '../useArena';
import type { Lang } from '../types';

const en = {
  'nav.lobby': 'Lobby',
  'nav.resume': 'My résumé',
  'nav.plan': 'Learning plan',
  'resume.title': 'Questions from your résumé or a job posting',
  'resume.hint': 'PDF, DOCX or plain text, up to 5 MB. We check the file by its content, parse it on the server and write questions about your own projects and claims.',
  'resume.file': 'Résumé or job posting',
  'resume.upload': 'Upload and generate',
  'resume.uploading': 'Uploading…',
  'resume.progress': 'Generating questions: {p}%',
  'resume.failed': 'Generation failed: {error}',
  'resume.questions': 'Your tailored questions ({n})',
  'resume.keyPoints': 'A strong answer covers',
  'resume.redFlags': 'Red flags',
  'resume.source.project': 'your project',
  'resume.source.claim': 'your claim',
  'resume.source.employer': 'your employer',
  'resume.source.skill': 'your skill',
  'resume.source.requirement': 'the posting',
  'resume.source.bank': 'question bank',
  'resume.source.llm': 'AI-written',
  'resume.relevance': 'relevance {r}',
  'resume.createRoom': 'Create a room from my résumé',
  'resume.count': 'Questions',
  'resume.mine': 'My uploads',
  'resume.delete': 'Delete',
  'resume.show': 'Show questions',
  'resume.none': 'Nothing uploaded yet.',
  'resume.roomTitle': 'Interview on my résumé',
  'plan.title': 'Your learning plan',
  'plan.empty': 'Play a match first: the plan is built from your scored answers.',
  'plan.based': 'Based on {a} answers in your last {m} matches.',
  'plan.why': 'Why',
  'plan.practice': 'What to practise',
  'plan.retry': 'Questions to retry',
  'plan.solo': 'Practise alone now',
  'plan.refresh': 'Refresh',
  'plan.averages': 'Averages by dimension',
  'plan.loading': 'Loading…',
};

export type PKey = keyof typeof en;

const ko: Record<PKey, string> = {
  'nav.lobby': '로비',
  'nav.resume': '내 이력서',
  'nav.plan': '학습 계획',
  'resume.title': '이력서나 채용 공고로 만드는 질문',
  'resume.hint': 'PDF, DOCX, 텍스트 파일(최대 5MB). 파일 내용으로 형식을 확인하고 서버에서 분석해, 본인의 프로젝트와 성과에 대한 질문을 만듭니다.',
  'resume.file': '이력서 또는 채용 공고',
  'resume.upload': '업로드하고 질문 만들기',
  'resume.uploading': '업로드 중…',
  'resume.progress': '질문 생성 중: {p}%',
  'resume.failed': '생성 실패: {error}',
  'resume.questions': '맞춤 질문 ({n}개)',
  'resume.keyPoints': '좋은 답변에 들어갈 내용',
  'resume.redFlags': '주의할 답변',
  'resume.source.project': '내 프로젝트',
  'resume.source.claim': '내 성과',
  'resume.source.employer': '내 경력',
  'resume.source.skill': '내 기술',
  'resume.source.requirement': '채용 공고',
  'resume.source.bank': '질문 은행',
  'resume.source.llm': 'AI 작성',
  'resume.relevance': '관련도 {r}',
  'resume.createRoom': '내 이력서로 방 만들기',
  'resume.count': '질문 수',
  'resume.mine': '내 업로드',
  'resume.delete': '삭제',
  'resume.show': '질문 보기',
  'resume.none': '아직 업로드한 파일이 없습니다.',
  'resume.roomTitle': '내 이력서 면접',
  'plan.title': '나의 학습 계획',
  'plan.empty': '먼저 매치를 한 번 해 보세요. 학습 계획은 채점된 답변으로 만들어집니다.',
  'plan.based': '최근 {m}번의 매치, 답변 {a}개 기준입니다.',
  'plan.why': '이유',
  'plan.practice': '연습할 것',
  'plan.retry': '다시 풀어 볼 질문',
  'plan.solo': '지금 혼자 연습하기',
  'plan.refresh': '새로고침',
  'plan.averages': '영역별 평균',
  'plan.loading': '불러오는 중…',
};

const dicts: Record<Lang, Record<PKey, string>> = { en, ko };

export function ptranslate(lang: Lang, key: PKey, vars?: Record<string, string | number>): string {
  let s = (dicts[lang] ?? en)[key] ?? en[key];
  for (const [k, v] of Object.entries(vars ?? {})) s = s.split(`{${k}}`).join(String(v));
  return s;
}

export function usePT() {
  const lang = useArenaState((s) => s.lang);
  return useCallback((key: PKey, vars?: Record<string, string | number>) => ptranslate(lang, key, vars), [lang]);
}
