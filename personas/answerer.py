"""The one owner of the AI-side policy of a room: who answers, who asks follow-ups, how the judge counts.

* **Persona answers**: the LLM provider chain (``personas.llm``) when a remote
  provider is configured and no custom source was injected, else the offline
  engine (``personas.engine``) in a worker thread. The chain itself falls back
  to the offline answer when a provider fails or is slow (``llm.service``).
* **Follow-up questions**: the LLM chain, else the offline template
  (``personas.llm.followup``), else None, and the room asks its stock question
  (``rooms.room.STOCK_FOLLOW_UP``) after ``follow_up_wait_ms``.
* **LLM-as-judge**: when a remote provider is configured, every non-empty answer
  is judged within :data:`JUDGE_BUDGET_SHARE` of the room's scoring timeout and
  blended into the offline score (``llm.blend``: the judge may lower a score as
  well as raise it); an answer the judge does not return in time keeps its offline score.

The server (``server/runtime.py``) only calls :class:`Answerer`.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Executor
from typing import Callable

from rooms.jobs import AIAnswerJob, FollowUpJob, ScoreJob

from .engine import AnswerRequest, ComposedAnswer, compose_answer

#: Share of the room's scoring timeout the LLM judge may use (the rest is the offline scorer's and slack).
JUDGE_BUDGET_SHARE = 0.6

#: An answer as the room takes it: ``(text, think_ms, words_per_minute, story_id)``.
AnswerTuple = tuple[str, int, int, "str | None"]


def compose_job(job: AIAnswerJob) -> AnswerTuple:
    """The offline engine's answer to a room's job. Blocking (a few ms to ~50 ms with embeddings):
    call it from a worker thread."""
    a = compose_answer(AnswerRequest.from_job(job))
    return a.text, a.think_ms, a.words_per_minute, a.story_id


def remote_llm():
    """The LLM provider chain module when a remote provider is configured, else None (offline only)."""
    try:
        from . import llm
    except ImportError:                   # the optional SDKs are not installed
        return None
    return None if llm.get_chain().offline_only else llm


class Answerer:
    """Persona answers, follow-up questions and the judge for the rooms of one process.

    Args:
        source: a custom offline source ``job -> (text, think_ms, wpm, story_id)`` (tests, demos);
            when given, the LLM chain is not used for answers.
        llm: the ``personas.llm`` module, None for offline only, or ``"auto"`` (from the environment).
    """

    def __init__(self, source: Callable[[AIAnswerJob], AnswerTuple] | None = None, llm="auto") -> None:
        self.source = source or compose_job
        self.custom_source = source is not None
        self.llm = remote_llm() if llm == "auto" else llm

    async def answer(self, job: AIAnswerJob, *, time_scale: float = 1.0,
                     executor: Executor | None = None) -> AnswerTuple:
        """A persona's answer to ``job``, fitting ``job.budget_ms`` (see ``llm.answer_detailed``).

        ``time_scale``: the room's ``Timings.answer_scale``. Raises as ``OfflineAnswerEngine.compose``
        for a bad job (unknown persona, bad skill/lang/category).
        """
        if self.llm is not None and not self.custom_source:
            a: ComposedAnswer = await self.llm.answer(AnswerRequest.from_job(job), time_scale=time_scale)
            return a.text, a.think_ms, a.words_per_minute, a.story_id
        return await asyncio.get_running_loop().run_in_executor(executor, self.source, job)

    async def follow_up(self, job: FollowUpJob) -> str | None:
        """The interviewer's follow-up question: LLM chain, else the offline template; None -> the room's stock one."""
        if self.llm is not None:
            return await self.llm.follow_up(job.question_text, job.answer_text, job.lang)
        try:
            from .llm.followup import offline_follow_up
        except ImportError:                # optional SDKs missing: the room asks its stock question
            return None
        return offline_follow_up(job.question_text, job.answer_text, job.lang)

    async def judge(self, question, job: ScoreJob, results: dict, scoring_timeout_ms: int) -> dict:
        """Blend LLM-as-judge verdicts into ``results`` (answer_id -> ScoreResult), within
        ``JUDGE_BUDGET_SHARE * scoring_timeout_ms``; unchanged when no remote provider is configured
        or the judge is late. ``question``: the bank's ``rooms.questions.Question``."""
        if self.llm is None:
            return results
        budget_s = scoring_timeout_ms * JUDGE_BUDGET_SHARE / 1000
        answers = [a for a in job.answers if a.text.strip()]
        try:
            verdicts = await asyncio.wait_for(asyncio.gather(*(
                self.llm.judge(question.text(job.lang), question.key_points(job.lang), a.text, job.lang,
                               question.category) for a in answers)), budget_s)
        except asyncio.TimeoutError:
            return results
        out = dict(results)
        for a, v in zip(answers, verdicts):
            out[a.answer_id] = self.llm.blend(results[a.answer_id], v)
        return out

    def warm_up(self) -> None:
        """Load personas, voices and the knowledge notes' vectors now (blocking, ~0.1-1 s; run off the loop)."""
        from .engine import warm_up

        warm_up()

    async def aclose(self) -> None:
        if self.llm is not None:
            await self.llm.aclose()
