"""Short feedback: one strength and one improvement per answer.

The strength quotes the answer's own words for its best dimension. The
improvement names its weakest dimension, gives a concrete tip, and quotes what
the best competing answer said for that dimension. Texts are in the room's
language (ko/en) and at most about 300 characters.
"""

from __future__ import annotations

from typing import Protocol

DIM_NAMES = {
    "en": {"relevance": "relevance", "structure": "structure", "specificity": "specificity",
           "depth": "depth", "communication": "communication"},
    "ko": {"relevance": "질문 적합성", "structure": "구조", "specificity": "구체성",
           "depth": "깊이", "communication": "전달력"},
}

TIPS = {
    "en": {
        "relevance": "answer the question directly in your first sentence",
        "structure_star": "tell it as Situation, Task, Action, Result, then what you learned",
        "structure_tech": "state your approach step by step, then the trade-offs",
        "specificity": "add numbers and say what you yourself did",
        "depth": "also cover: {kp}",
        "communication_short": "develop the answer; it is too short for the time given",
        "communication_long": "cut filler and repetition; keep to the point",
        "communication": "speak in full, plain sentences without filler words",
    },
    "ko": {
        "relevance": "첫 문장에서 질문에 바로 답하세요",
        "structure_star": "상황-과제-행동-결과-배운 점 순서로 말해 보세요",
        "structure_tech": "접근 방법을 단계별로 말하고 트레이드오프를 덧붙이세요",
        "specificity": "수치와 본인이 직접 한 행동을 넣으세요",
        "depth": "다음 내용도 다뤄 보세요: {kp}",
        "communication_short": "주어진 시간에 비해 답변이 너무 짧습니다",
        "communication_long": "군더더기와 반복을 줄이고 핵심만 말하세요",
        "communication": "군말 없이 완결된 문장으로 말하세요",
    },
}

FLAG_TEXT = {
    "en": {
        "skipped": "No answer: the turn was skipped.",
        "empty": "No answer was given.",
        "too_long": "The answer is over 8 KB and was not scored; keep answers to the point.",
        "garbage": "The answer is not readable text.",
        "wrong_language": "This room is in English; answer in English.",
        "error": "The answer could not be scored.",
    },
    "ko": {
        "skipped": "답변 없음: 차례를 건너뛰었습니다.",
        "empty": "답변이 없습니다.",
        "too_long": "답변이 8KB를 넘어 채점하지 않았습니다. 핵심만 말해 주세요.",
        "garbage": "읽을 수 있는 답변이 아닙니다.",
        "wrong_language": "이 방은 한국어로 진행됩니다. 한국어로 답해 주세요.",
        "error": "답변을 채점하지 못했습니다.",
    },
}

PENALTY_TEXT = {
    "en": {"stuffing": "A list of keywords is not an answer; explain in sentences.",
           "repeat": "Repeating the question is not an answer.",
           "padding": "Most sentences do not address the question."},
    "ko": {"stuffing": "키워드 나열은 답변이 아닙니다. 문장으로 설명하세요.",
           "repeat": "질문을 반복하는 것은 답변이 아닙니다.",
           "padding": "대부분의 문장이 질문과 관련이 없습니다."},
}


class AnalysisLike(Protocol):
    """What the generator reads from an analysed answer (see ``competitive.AnswerAnalysis``)."""

    answer_id: str
    flag: str | None
    dims: dict
    quotes: dict
    penalty: str | None
    missing_point: str | None
    length_state: str


def quote(text: str, limit: int = 70) -> str:
    """Shorten ``text`` to ``limit`` characters, ending with an ellipsis when cut."""
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class FeedbackGenerator:
    """Writes one strength and one improvement for each answer.

    Args:
        lang: "ko" or "en" (anything else uses English).
        category: the question category, to pick the structure tip.
    """

    def __init__(self, lang: str, category: str) -> None:
        self.lang = lang if lang in TIPS else "en"
        self.category = category

    def generate(self, a: AnalysisLike, best: AnalysisLike | None) -> str:
        """Feedback for answer ``a``; ``best`` is the top competing answer (None if ``a`` is best or alone).

        Returns:
            One or two short sentences (str, at most ~300 characters). Never raises.
        """
        L = self.lang
        if a.flag:
            return FLAG_TEXT[L].get(a.flag, FLAG_TEXT[L]["error"])
        names = DIM_NAMES[L]
        dims = a.dims
        strong_dim = max(dims, key=lambda d: (dims[d], d))
        weak_dim = min(dims, key=lambda d: (dims[d], d))
        parts = []
        if a.penalty:
            parts.append(PENALTY_TEXT[L][a.penalty])
        else:
            q = a.quotes.get(strong_dim) or ""
            if q:
                lead = "Strength" if L == "en" else "강점"
                parts.append(f'{lead} ({names[strong_dim]}): "{quote(q)}".')
        tip = self._tip(a, weak_dim)
        lead = "Improve" if L == "en" else "개선"
        line = f"{lead} {names[weak_dim]}: {tip}." if L == "en" else f"{lead}({names[weak_dim]}): {tip}."
        if best is not None and best.answer_id != a.answer_id and best.quotes.get(weak_dim):
            ref = "The top answer said" if L == "en" else "최고 답변은"
            tail = "" if L == "en" else "라고 했습니다"
            line += f' {ref} "{quote(best.quotes[weak_dim], 60)}"{tail}.'
        parts.append(line)
        return " ".join(parts)[:320]

    def _tip(self, a: AnalysisLike, dim: str) -> str:
        T = TIPS[self.lang]
        if dim == "structure":
            return T["structure_tech" if self.category == "technical" else "structure_star"]
        if dim == "depth":
            return T["depth"].format(kp=quote(a.missing_point or "", 60)) if a.missing_point else T["specificity"]
        if dim == "communication":
            if a.length_state == "short":
                return T["communication_short"]
            if a.length_state == "long":
                return T["communication_long"]
            return T["communication"]
        return T[dim]
