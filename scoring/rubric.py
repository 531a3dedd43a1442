"""The first rubric scorer: transparent lexical heuristics, no models.

Dimensions (each 0-100), as in product.md's scoring section:

- ``relevance``: overlap of the answer's terms with the question and its key points;
- ``structure``: STAR markers for behavioural/culture questions (situation,
  task, action, result, lesson), approach/trade-off markers for technical ones;
- ``specificity``: numbers, first-person actions, concrete examples;
- ``depth``: share of the question's rubric key points the answer covers;
- ``communication``: length for the time given, few filler words, sentences.

The overall score is a category-weighted mean, then capped for adversarial
answers (wrong language, a repeat of the question, keyword stuffing, padding).
Weights and caps are our own starting values; ``make eval`` (AI-quality issue)
measures them against graded answers.
"""

from __future__ import annotations

import re
from typing import Sequence

from rooms.questions import Question
from rooms.scoring import AnswerToScore, ScoreResult, clamp_score
from .text import NUMBER, coverage, is_garbage, lang_of, terms, words

WEIGHTS = {
    "behavioural": {"relevance": 0.20, "structure": 0.30, "specificity": 0.20, "depth": 0.20, "communication": 0.10},
    "technical": {"relevance": 0.20, "structure": 0.20, "specificity": 0.15, "depth": 0.35, "communication": 0.10},
    "culture_fit": {"relevance": 0.25, "structure": 0.20, "specificity": 0.20, "depth": 0.25, "communication": 0.10},
    "company": {"relevance": 0.25, "structure": 0.20, "specificity": 0.20, "depth": 0.25, "communication": 0.10},
}

STAR = {
    "ko": [r"상황|당시|프로젝트|회사에서|팀에서", r"목표|과제|역할|맡|책임", r"제가|저는|직접|진행했|도입했|설계했|구현했|제안했|설득",
           r"결과|덕분에|줄였|늘었|개선|향상|감소|증가|달성", r"배웠|교훈|이후|다음에는|깨달"],
    "en": [r"\bwhen\b|\bat my\b|\bproject\b|\bsituation\b|\bteam\b", r"\bgoal\b|\btask\b|\bresponsib|\bmy role\b|\bneeded to\b",
           r"\bi (led|built|designed|proposed|wrote|introduced|decided|set up|talked|worked)|\bi\b",
           r"\bresult|\breduced\b|\bincreased\b|\bimproved\b|\bcut\b|\bachiev|\bdropped\b",
           r"\blearn|\blesson\b|\bsince then\b|\bnext time\b|\brealiz"],
}
TECH = {
    "ko": [r"먼저|우선|첫째|접근|설계", r"트레이드오프|장단점|반면|대신|단점|비용", r"예를 들어|경우|실제로|경험", r"따라서|결론|정리하면|그래서"],
    "en": [r"\bfirst\b|\bapproach\b|\bdesign\b|\bstart\b", r"trade-?off|\bdownside\b|\bhowever\b|\binstead\b|\bcost\b|\bbut\b",
           r"for example|for instance|in practice|\bwhen i\b|\bin my\b", r"\bso\b|\btherefore\b|\bin short\b|\boverall\b"],
}
FILLERS = {"ko": r"음+|어+|그+|뭐|약간|그냥|막|좀", "en": r"\bum+\b|\buh+\b|\blike\b|\byou know\b|\bbasically\b|\bkind of\b|\bsort of\b"}
FIRST_PERSON = {"ko": r"제가|저는|저희", "en": r"\bI\b|\bmy\b|\bwe\b"}
SENTENCE_END = re.compile(r"[.!?。]|다\s|요\s|다$|요$")

FEEDBACK = {
    "ko": {"relevance": "질문의 핵심에 더 직접적으로 답해 보세요.",
           "structure": "상황-과제-행동-결과(STAR) 또는 접근-트레이드오프 순서로 구조를 잡아 보세요.",
           "specificity": "숫자와 본인이 직접 한 행동으로 근거를 보강해 보세요.",
           "depth": "빠진 핵심 포인트: {missing}",
           "communication": "주어진 시간에 맞는 길이로, 완결된 문장으로 말해 보세요.",
           "good": "강점: {best}이(가) 돋보였습니다.",
           "empty": "답변이 없었습니다.", "lang": "방의 언어(한국어)로 답변해 주세요."},
    "en": {"relevance": "Answer the core of the question more directly.",
           "structure": "Structure it as STAR (situation, task, action, result) or approach then trade-offs.",
           "specificity": "Back it up with numbers and what you personally did.",
           "depth": "Missing key point: {missing}",
           "communication": "Fit the length to the time given and speak in full sentences.",
           "good": "Strength: your {best} stood out.",
           "empty": "No answer was given.", "lang": "Please answer in the room's language (English)."},
}
DIM_NAMES = {"ko": {"relevance": "관련성", "structure": "구조", "specificity": "구체성", "depth": "깊이", "communication": "전달력"},
             "en": {"relevance": "relevance", "structure": "structure", "specificity": "specificity", "depth": "depth",
                    "communication": "communication"}}


def _hits(patterns: list[str], text: str) -> float:
    return sum(1 for p in patterns if re.search(p, text, re.I)) / len(patterns)


class RubricScorer:
    """Heuristic rubric scorer implementing :class:`rooms.scoring.Scorer`.

    Args:
        answer_seconds: the time given per answer (s); sets the expected length.
    """

    def __init__(self, answer_seconds: int = 90) -> None:
        self.answer_seconds = answer_seconds

    def score_answers(self, question: Question, answers: Sequence[AnswerToScore], lang: str) -> dict[str, ScoreResult]:
        """Score each answer independently; returns ``{answer_id: ScoreResult}``."""
        out = {a.answer_id: self.score_text(question, a.text if not a.skipped else "", lang) for a in answers}
        # -- spoken delivery (media bridge): pace/pauses dimensions feed communication; see delivery.py
        from .delivery import apply_delivery
        return apply_delivery(out, answers, WEIGHTS.get(question.category, WEIGHTS["behavioural"]), lang)

    def score_text(self, question: Question, text: str, lang: str) -> ScoreResult:
        """Score one answer text (any length; never raises) against ``question``."""
        lang = lang if lang in ("ko", "en") else "en"
        fb = FEEDBACK[lang]
        text = (text or "")[:8192]
        if is_garbage(text):
            dims = {k: 0 for k in WEIGHTS["behavioural"]}
            return ScoreResult(0, dims, fb["empty"])
        ans_terms = terms(text)
        kps = question.key_points(lang)
        q_text = question.text(lang)
        kp_cov = [coverage(k, ans_terms) for k in kps] if kps else []
        depth = 100 * (sum(min(1.0, c / 0.5) for c in kp_cov) / len(kp_cov)) if kp_cov else 50.0
        ref = terms(q_text) | set().union(*(terms(k) for k in kps)) if kps else terms(q_text)
        overlap = len(ans_terms & ref) / max(1, min(len(ref), 25))
        relevance = 100 * min(1.0, overlap * 1.6)
        if question.category == "technical":
            structure = 100 * _hits(TECH[lang], text)
        elif question.category == "company":   # company questions are design or story questions
            structure = 100 * max(_hits(TECH[lang], text), _hits(STAR[lang], text))
        else:
            structure = 100 * _hits(STAR[lang], text)
        n_words = len(words(text))
        nums = len(NUMBER.findall(text))
        fp = len(re.findall(FIRST_PERSON[lang], text))
        specificity = min(100.0, nums * 18 + min(fp, 4) * 10 + (15 if n_words > 40 else 0))
        expected = self.answer_seconds * (1.6 if lang == "en" else 1.1)   # ~100 wpm (en), ~65 eojeol/min (ko)
        length_fit = min(1.0, n_words / (0.45 * expected)) if n_words < 0.45 * expected else max(0.3, 1.4 - n_words / (1.5 * expected)) if n_words > 1.5 * expected else 1.0
        fillers = len(re.findall(FILLERS[lang], text)) / max(1, n_words)
        sentences = len(SENTENCE_END.findall(text + " "))
        communication = 100 * length_fit * max(0.3, 1 - 3 * fillers) * (1.0 if sentences >= 2 or n_words < 25 else 0.7)
        dims = {"relevance": relevance, "structure": structure, "specificity": specificity, "depth": depth,
                "communication": communication}
        w = WEIGHTS.get(question.category, WEIGHTS["behavioural"])
        total = sum(dims[k] * w[k] for k in w)

        cap, reason = 100.0, None
        if lang_of(text) not in (None, lang):
            cap, reason = 15.0, fb["lang"]
        q_cov = coverage(q_text, ans_terms)
        novel = len(ans_terms - terms(q_text))
        if q_cov > 0.7 and novel < max(8, 0.3 * len(ans_terms)):
            cap = min(cap, 20.0)                       # mostly repeats the question
        if n_words > 15 and sentences <= 1 and len(ans_terms & ref) > 0.5 * len(ans_terms):
            cap = min(cap, 30.0)                       # keyword list, no sentences
        uniq = len(set(words(text))) / max(1, n_words)
        if n_words > 60 and uniq < 0.35:
            cap = min(cap, 30.0)                       # padding by repetition
        if n_words < 8:
            cap = min(cap, 25.0)
        total = min(total, cap)
        dims_i = {k: clamp_score(v) for k, v in dims.items()}
        return ScoreResult(clamp_score(total), dims_i, reason or self._feedback(dims_i, kps, kp_cov, lang))

    @staticmethod
    def _feedback(dims: dict, kps: list[str], kp_cov: list[float], lang: str) -> str:
        fb, names = FEEDBACK[lang], DIM_NAMES[lang]
        best = max(dims, key=dims.get)
        worst = min(dims, key=dims.get)
        if worst == "depth" and kps:
            missing = kps[min(range(len(kps)), key=lambda i: kp_cov[i])]
            tip = fb["depth"].format(missing=missing)
        else:
            tip = fb[worst]
        return f"{fb['good'].format(best=names[best])} {tip}"
