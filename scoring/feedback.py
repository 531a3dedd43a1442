"""Short feedback: one strength and one improvement per answer.

Rules (issue 9, "Feedback that helps"):

* An answer capped for a wrong claim is told so first, quoting the claim.
* The strength quotes the answer's own words for its best content dimension
  (relevance, structure, specificity, depth): a sentence with content, never a
  filler, a stock phrase or a wrong claim (``quotes.py``). No such sentence, no quote.
* The improvement names the weakest dimension with a concrete tip. The
  specificity tip asks for numbers only when the answer has none.
* "The top answer" is quoted only when it scored at least ``TOP_MARGIN`` (10)
  points more, and the line says on which dimension it did better.

Texts are in the room's language (ko/en) and at most about 320 characters.
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
        "specificity_numbers": "add a number: how much, how many, how long, or by how much it changed",
        "specificity_actions": "say what you yourself did (\"I measured…\", \"I proposed…\")",
        "specificity_names": "name the concrete tools, systems or people involved",
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
        "specificity_numbers": "얼마나, 몇 건, 얼마 동안, 얼마나 바뀌었는지 수치를 넣으세요",
        "specificity_actions": "본인이 직접 한 행동을 말하세요(\"제가 측정했습니다\", \"제가 제안했습니다\")",
        "specificity_names": "사용한 도구, 시스템, 관련된 사람을 구체적으로 말하세요",
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

#: For behavioural and culture-fit answers a red flag is a poor practice rather than a misconception.
PRACTICE_TEXT = {
    "en": 'Red flag: "{claim}" is what interviewers warn about, so the score is capped at {cap}.',
    "ko": '주의: "{claim}" — 면접관이 경계하는 답변입니다. 점수 상한 {cap}점이 적용되었습니다.',
}
WRONG_TEXT = {
    "en": 'Wrong claim: "{claim}" is a common misconception, so the score is capped at {cap}.',
    "ko": '틀린 주장: "{claim}" — 흔한 오해입니다. 점수 상한 {cap}점이 적용되었습니다.',
}
DISMISS_TEXT = {
    "en": 'Wrong claim: "{claim}" waves away what a good answer relies on ({point}), so the score is capped at {cap}.',
    "ko": '틀린 주장: "{claim}" — 좋은 답변이 기대는 부분({point})을 불필요하다고 했습니다. 점수 상한 {cap}점이 적용되었습니다.',
}
SWAP_TEXT = {
    "en": 'Wrong claim: "{claim}" swaps the two: it is the other way round ({point}), so the score is capped at {cap}.',
    "ko": '틀린 주장: "{claim}" — 둘을 바꿔 말했습니다. 실제로는 반대입니다({point}). 점수 상한 {cap}점이 적용되었습니다.',
}
DENY_TEXT = {
    "en": 'Wrong claim: "{claim}" contradicts a basic fact ({point}), so the score is capped at {cap}.',
    "ko": '틀린 주장: "{claim}" — 기본 사실과 어긋납니다({point}). 점수 상한 {cap}점이 적용되었습니다.',
}
EVASION_TEXT = {
    "en": 'The question asks for a real example; "{claim}" sidesteps it, so the score is capped at {cap}.',
    "ko": '질문은 실제 경험을 묻고 있는데 "{claim}"는 질문을 피해 갑니다. 점수 상한 {cap}점이 적용되었습니다.',
}
TOP_TEXT = {
    "en": 'The top answer ({score}) did better on {dim}: "{quote}".',
    "ko": '최고 답변({score}점)은 {dim}에서 더 나았습니다: "{quote}".',
}
#: "The top answer" is quoted only when it scored at least this many points more (0-100 scale).
TOP_MARGIN = 10
#: Dimensions a strength may quote (communication has no sentence that shows it).
QUOTABLE = ("relevance", "structure", "specificity", "depth")

PENALTY_TEXT = {
    "en": {"stuffing": "A list of keywords is not an answer; explain in sentences.",
           "repeat": "Repeating the question is not an answer.",
           "padding": "Most sentences do not address the question.",
           "platitude": "Most sentences describe you, not the situation asked; tell what happened and what you did."},
    "ko": {"stuffing": "키워드 나열은 답변이 아닙니다. 문장으로 설명하세요.",
           "repeat": "질문을 반복하는 것은 답변이 아닙니다.",
           "padding": "대부분의 문장이 질문과 관련이 없습니다.",
           "platitude": "대부분의 문장이 질문한 상황이 아니라 본인 소개입니다. 실제로 있었던 일과 본인이 한 일을 말해 주세요."},
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
    score: int
    numbers: int
    actions: int
    correctness: object       # correctness.Correctness | None: ``wrong`` claims and ``cap``


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
            One to three short sentences (str, at most ~320 characters). Never raises.
        """
        L = self.lang
        if a.flag:
            return FLAG_TEXT[L].get(a.flag, FLAG_TEXT[L]["error"])
        names = DIM_NAMES[L]
        dims = a.dims
        weak_dim = min(dims, key=lambda d: (dims[d], d))
        parts = []
        corr = getattr(a, "correctness", None)
        wrong = list(getattr(corr, "wrong", None) or [])
        if wrong:
            kind = wrong[0].kind
            tmpl = (EVASION_TEXT if kind == "evasion" else DISMISS_TEXT if kind == "dismisses_key_point"
                    else SWAP_TEXT if kind == "swapped" else DENY_TEXT if kind == "denies_fact"
                    else PRACTICE_TEXT if self.category in ("behavioural", "culture_fit") else WRONG_TEXT)
            parts.append(tmpl[L].format(claim=quote(wrong[0].sentence, 90), cap=corr.cap,
                                        point=quote(wrong[0].reference, 60)))
        if a.penalty:
            parts.append(PENALTY_TEXT[L][a.penalty])
        elif not wrong:
            quotable = [d for d in QUOTABLE if d in dims and a.quotes.get(d)]
            if quotable:
                strong_dim = max(quotable, key=lambda d: (dims[d], d))
                lead = "Strength" if L == "en" else "강점"
                parts.append(f'{lead} ({names[strong_dim]}): "{quote(a.quotes[strong_dim])}".')
        if wrong and a.missing_point:
            weak_dim = "depth"              # point at what a correct answer covers
        tip = self._tip(a, weak_dim)
        lead = "Improve" if L == "en" else "개선"
        parts.append(f"{lead} {names[weak_dim]}: {tip}." if L == "en" else f"{lead}({names[weak_dim]}): {tip}.")
        top = self._top_answer(a, best)
        if top and len(" ".join(parts + [top])) <= 320:
            parts.append(top)
        return " ".join(parts)[:320]

    def _top_answer(self, a: AnalysisLike, best: AnalysisLike | None) -> str:
        """The "top answer" line: only for a best answer >= TOP_MARGIN points higher, on a dimension
        where it did better, quoting one of its content sentences (never a wrong claim)."""
        if best is None or best.answer_id == a.answer_id or best.score < a.score + TOP_MARGIN:
            return ""
        better = [d for d in QUOTABLE if best.quotes.get(d) and best.dims.get(d, 0) > a.dims.get(d, 0)]
        if not better:
            return ""
        dim = max(better, key=lambda d: (best.dims[d] - a.dims.get(d, 0), d))
        return TOP_TEXT[self.lang].format(score=best.score, dim=DIM_NAMES[self.lang][dim],
                                         quote=quote(best.quotes[dim], 60))

    def _tip(self, a: AnalysisLike, dim: str) -> str:
        T = TIPS[self.lang]
        if dim == "structure":
            return T["structure_tech" if self.category == "technical" else "structure_star"]
        if dim == "depth":
            return T["depth"].format(kp=quote(a.missing_point or "", 60)) if a.missing_point else self._specific(a)
        if dim == "specificity":
            return self._specific(a)
        if dim == "communication":
            if a.length_state == "short":
                return T["communication_short"]
            if a.length_state == "long":
                return T["communication_long"]
            return T["communication"]
        return T[dim]

    def _specific(self, a: AnalysisLike) -> str:
        """Ask for numbers only when the answer has none; otherwise for own actions or names."""
        T = TIPS[self.lang]
        has_numbers = getattr(a, "numbers", 0) > 0
        has_actions = getattr(a, "actions", 0) > 0
        if not has_numbers and not has_actions:
            return T["specificity"]
        if not has_numbers:
            return T["specificity_numbers"]
        if not has_actions:
            return T["specificity_actions"]
        return T["specificity_names"]
