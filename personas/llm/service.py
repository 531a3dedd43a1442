"""The three uses of the chain: persona answers, LLM-as-judge, follow-up questions.

All functions are coroutines that never raise for provider trouble: a failing or
slow provider falls back down the chain, ending at the offline path. They use a
process-wide chain built from the environment on first use (``get_chain``);
pass ``chain=`` to use another (tests, the live check).
"""

from __future__ import annotations

import logging
import math
import re
import time
from dataclasses import dataclass, replace

from rooms.scoring import ScoreResult, clamp_score
from rooms.settings import MAX_TEXT_BYTES

from ..catalog import get_persona
from ..engine import MARGIN_MS, AnswerRequest, ComposedAnswer, OfflineAnswerEngine
from ..engine.notes import NoteView
from .chain import LLMChain, build_chain
from .followup import offline_follow_up
from .metrics import LLM_CALLS
from .prompts import follow_up_prompt, judge_prompt, persona_prompt
from .schemas import FollowUpOut, JudgeOut, JudgeVerdict, PersonaAnswerOut

log = logging.getLogger(__name__)

#: Slack (ms) kept between the end of the LLM window and the last moment the
#: answer could start streaming: covers event-loop and tick delays.
ANSWER_SLACK_MS = 300
#: Longest an answer's LLM phase may take, ms (the persona "thinks" meanwhile).
ANSWER_LLM_MAX_MS = 8_000

_OFFLINE = OfflineAnswerEngine()
_chain: LLMChain | None = None


def get_chain() -> LLMChain:
    """The process-wide chain, built from the environment on first call."""
    global _chain
    if _chain is None:
        _chain = build_chain()
        log.info("LLM chain: %s", " -> ".join(_chain.order + ["offline"]))
    return _chain


def set_chain(chain: LLMChain | None) -> None:
    """Replace the process-wide chain (None: rebuild from the environment on next use)."""
    global _chain
    _chain = chain


# --------------------------------------------------------------------------- answers

@dataclass(frozen=True)
class AnswerResult:
    """``answer_detailed``'s result.

    Attributes:
        answer: the ``ComposedAnswer`` to stream (same shape as the offline engine's).
        provider: ``"openai"``, ``"gemini"`` or ``"offline"``.
        elapsed_ms: time spent inside the call, ms (already taken off ``answer.think_ms``).
    """

    answer: ComposedAnswer
    provider: str
    elapsed_ms: int


def _speaking_ms(words: int, wpm: int) -> int:
    return math.ceil(words * 60_000 / max(1, wpm))


def fit_words(text: str, max_words: int) -> str:
    """Cut ``text`` to at most ``max_words`` whitespace-separated words.

    Whole sentences are kept while they fit; if not even the first sentence
    fits, its first ``max_words`` words are kept. Returns ``""`` for ``max_words <= 0``.
    """
    if max_words <= 0:
        return ""
    words = text.split()
    if len(words) <= max_words:
        return " ".join(words)
    kept: list[str] = []
    n = 0
    for sent in re.split(r"(?<=[.!?。])\s+", " ".join(words)):
        w = len(sent.split())
        if n + w > max_words:
            break
        kept.append(sent)
        n += w
    if not kept:
        return " ".join(words[:max_words])
    return " ".join(kept)


def _clean(text: str) -> str:
    """One line of plain speech: Markdown marks and newlines out, 8 KB UTF-8 cap."""
    text = re.sub(r"[*_#`>]+", " ", text)
    text = re.sub(r"^\s*[-•]\s+", " ", text, flags=re.M)
    text = " ".join(text.split())
    b = text.encode("utf-8")
    if len(b) > MAX_TEXT_BYTES:
        text = b[:MAX_TEXT_BYTES].decode("utf-8", "ignore").rsplit(" ", 1)[0]
    return text


def notes_for(req: AnswerRequest, k: int = 2) -> list[NoteView]:
    """The knowledge notes the offline engine draws on for ``req`` (for the persona prompt)."""
    from ..engine.compose import split_follow_up

    asked, main = split_follow_up(req.question_text)
    return _OFFLINE.notes(asked, req.lang, req.persona_id, context=main)[:k]


async def answer_detailed(req: AnswerRequest, *, chain: LLMChain | None = None,
                          llm_max_ms: int = ANSWER_LLM_MAX_MS, time_scale: float = 1.0) -> AnswerResult:
    """Compose a persona's answer with the chain; offline when no provider delivers in time.

    Timing (all ms, counted from the call): the offline engine first composes a
    fitted answer (text of W words, ``think_ms``, ``words_per_minute``). The
    remote providers get the window ``budget_ms - MARGIN_MS - speaking(W) -
    ANSWER_SLACK_MS`` (capped at ``llm_max_ms``), so that after a failure the
    offline answer still fits. The LLM is asked for about W words; its reply is
    cut to what still fits after the time it took. The returned ``think_ms`` is
    the pause left *from the moment this returns*: ``max(0, offline.think_ms -
    elapsed)``, so ``think_ms + speaking_ms <= budget_ms - elapsed - MARGIN_MS``
    holds for the returned answer whenever the offline engine could fit one.

    Args:
        req: the offline engine's ``AnswerRequest`` (``budget_ms`` = ms left until the deadline).
        chain: the chain to use (default ``get_chain()``).
        llm_max_ms: cap on the LLM window, ms.
        time_scale: real ms per nominal ms when the room plays time faster
            (``Timings.answer_scale``); ``budget_ms``, ``think_ms`` and the
            window are nominal, the network call runs in real time. 1.0 in production.
    Raises:
        KeyError / ValueError: as ``OfflineAnswerEngine.compose`` (unknown persona,
            bad skill/lang/category); never for provider failures.
    """
    t0 = time.monotonic()
    chain = chain or get_chain()
    offline = _OFFLINE.compose(req)          # validates req; ~1 ms

    scale = time_scale if time_scale > 0 else 1.0

    def elapsed_ms() -> int:
        """Nominal ms since the call started."""
        return int((time.monotonic() - t0) * 1000 / scale)

    def offline_result() -> AnswerResult:
        LLM_CALLS.labels("offline", "answer").inc()
        e = elapsed_ms()
        return AnswerResult(replace(offline, think_ms=max(0, offline.think_ms - e)), "offline", e)

    target = offline.word_count
    wpm = offline.words_per_minute
    window_ms = min(llm_max_ms, req.budget_ms - MARGIN_MS - _speaking_ms(target, wpm) - ANSWER_SLACK_MS)
    if chain.offline_only or target == 0:
        return offline_result()

    persona = get_persona(req.persona_id)
    prompt = persona_prompt(persona, req.question_text, req.lang, skill=req.skill, category=req.category,
                            target_words=target, story_hint=offline.story_id,
                            temperature=chain.settings.temperature, notes=notes_for(req))
    deadline = chain.deadline_in(max(0, window_ms) * scale / 1000.0 - (time.monotonic() - t0))
    got = await chain.run("answer", prompt, PersonaAnswerOut, deadline)
    if got is None:
        return offline_result()
    provider, out = got
    e = elapsed_ms()
    think = max(0, offline.think_ms - e)
    fits = ((req.budget_ms - e - MARGIN_MS - think) * wpm) // 60_000
    text = fit_words(_clean(out.answer), int(min(fits, target * 1.3 + 5)))
    if not text:
        log.info("llm answer from %s did not fit (%d words allowed); offline", provider, fits)
        return offline_result()
    story_ids = {s.id for s in persona.stories}
    story_id = out.story_id if out.story_id in story_ids and out.story_id not in req.used_story_ids else None
    return AnswerResult(ComposedAnswer(text=text, story_id=story_id, think_ms=think, words_per_minute=wpm),
                        provider, e)


async def answer(req: AnswerRequest, *, chain: LLMChain | None = None, time_scale: float = 1.0) -> ComposedAnswer:
    """A persona's answer (see ``answer_detailed`` for timing, ``time_scale``, errors)."""
    return (await answer_detailed(req, chain=chain, time_scale=time_scale)).answer


# --------------------------------------------------------------------------- judge

async def judge(question: str, key_points: list[str], answer: str, lang: str, category: str | None,
                *, chain: LLMChain | None = None, budget_s: float | None = None) -> JudgeVerdict | None:
    """Score one answer with an LLM judge.

    Args:
        question: the question text in ``lang``.
        key_points: the question's rubric key points in ``lang``.
        answer: the answer text (untrusted; delimited in the prompt).
        lang: ``"ko"`` or ``"en"`` (feedback language).
        category: behavioural | technical | culture_fit | company, or None.
        budget_s: total wall time, seconds (default ``ARENA_LLM_JUDGE_BUDGET_S``, 12).
    Returns:
        ``JudgeVerdict`` (score 0-100, ``dimensions`` relevance/structure/
        specificity/depth/communication 0-100, ``feedback``), or None when only
        offline is configured or every provider failed: use the rubric score.
    """
    chain = chain or get_chain()
    if chain.offline_only:
        return None
    if not (answer or "").strip():
        return None                          # the rubric already gives empty answers their low score
    prompt = judge_prompt(question, list(key_points), answer, lang, category)
    budget = chain.settings.judge_budget_s if budget_s is None else budget_s
    got = await chain.run("judge", prompt, JudgeOut, chain.deadline_in(budget))
    if got is None:
        return None
    provider, out = got
    return JudgeVerdict.from_out(out, provider)


def blend(rubric: ScoreResult, verdict: JudgeVerdict | None, weight: float = 0.5,
          max_lift: int = 30, lower_weight: float = 0.75) -> ScoreResult:
    """Mix the rubric score with the judge's verdict; the judge may lower as well as raise.

    * Judge above the rubric: ``(1 - weight) * rubric + weight * judge``, at most
      ``max_lift`` points over the rubric, so an answer the rubric capped (wrong
      language, keyword stuffing, a red flag, a prompt injection that fooled the
      judge) stays low.
    * Judge below the rubric: ``(1 - w) * rubric + w * judge`` with
      ``w = max(weight, lower_weight)``: a judge that finds a wrong claim the offline
      red flags missed moves the score most of the way down. Lowering cannot be
      gamed by the candidate, so it gets the larger weight.

    The same rule per dimension for dimensions both have (rubric-only dimensions are
    kept). Feedback: the judge's sentence first, then the rubric's.

    Args:
        weight: judge weight in 0..1 (clamped). ``verdict=None`` or ``weight=0`` -> ``rubric`` unchanged.
        max_lift: most points (0-100) the judge may add.
        lower_weight: judge weight (0..1) when it scores below the rubric.
    Returns:
        a new ``ScoreResult``.
    """
    if verdict is None:
        return rubric
    w = max(0.0, min(1.0, float(weight)))
    if w == 0.0:
        return rubric
    w_down = max(w, min(1.0, float(lower_weight)))

    def mix(r: float, j: float) -> int:
        if j < r:
            return clamp_score((1 - w_down) * r + w_down * j)
        return clamp_score(min((1 - w) * r + w * j, r + max_lift))

    dims = dict(rubric.dimensions)
    for k, v in verdict.dimensions.items():
        if k in dims and isinstance(dims[k], (int, float)):
            dims[k] = mix(dims[k], v)
    feedback = " ".join(x for x in (verdict.feedback.strip(), rubric.feedback.strip()) if x)
    return ScoreResult(score=mix(rubric.score, verdict.score), dimensions=dims, feedback=feedback[:600])


# --------------------------------------------------------------------------- follow-up

async def follow_up(question: str, answer: str, lang: str, *, chain: LLMChain | None = None,
                    budget_s: float | None = None) -> str | None:
    """One follow-up question about ``answer``, in ``lang``.

    Returns the remote provider's question, else the offline template
    (``followup.offline_follow_up``: deterministic, picked from the answer's
    content). Returns None only when ``answer`` is blank (nothing to follow up).
    ``budget_s``: total wall time, seconds (default ``ARENA_LLM_FOLLOWUP_BUDGET_S``, 6).
    """
    if not (answer or "").strip():
        return None
    chain = chain or get_chain()
    if not chain.offline_only:
        budget = chain.settings.followup_budget_s if budget_s is None else budget_s
        got = await chain.run("follow_up", follow_up_prompt(question, answer, lang, chain.settings.temperature * 0.7),
                              FollowUpOut, chain.deadline_in(budget))
        if got is not None:
            return got[1].question
    LLM_CALLS.labels("offline", "follow_up").inc()
    return offline_follow_up(question, answer, lang)


async def aclose() -> None:
    """Close the process-wide chain's HTTP clients (server shutdown)."""
    if _chain is not None:
        await _chain.aclose()


__all__ = ["AnswerResult", "answer", "answer_detailed", "judge", "blend", "follow_up", "get_chain",
           "set_chain", "aclose", "fit_words"]
