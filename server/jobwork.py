"""The work behind each room job, and its wire form on the job queue.

:class:`JobWork` is what runs a job, the same code in a worker process (``arena worker``,
:mod:`server.worker`) and inline in the game process (the fallback, :mod:`server.jobqueue`):

| job | work | result |
|---|---|---|
| ``AIAnswerJob`` | the persona's answer (LLM chain or offline engine) | ``(text, think_ms, words_per_minute, story_id)`` |
| ``FollowUpJob`` | the interviewer's follow-up (LLM chain or offline template) | ``str`` or None |
| ``ScoreJob`` | the scorer (ONNX embeddings), then the LLM judge's blend | ``{answer_id: ScoreResult}`` |
| ``MatchFinishedJob`` | ``ResultStore.save_match`` (PostgreSQL) | the report URL |

CPU work runs in a thread pool, so the process's event loop stays free.
:func:`encode` / :func:`decode` turn a job and its parameters into JSON-safe dicts (the queue
carries JSON, never pickles); :func:`encode_result` / :func:`decode_result` do the same for results.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Executor
from dataclasses import asdict
from typing import Any, Callable

from rooms.jobs import AIAnswerJob, FollowUpJob, MatchFinishedJob, ScoreJob
from rooms.questions import QuestionBank, question_from_dict
from rooms.scoring import AnswerToScore, ScoreResult

KINDS: dict[str, type] = {"ai_answer": AIAnswerJob, "follow_up": FollowUpJob, "score": ScoreJob,
                          "store_match": MatchFinishedJob}
KIND_OF: dict[type, str] = {v: k for k, v in KINDS.items()}


class JobWork:
    """Runs jobs. ``params`` per kind: ``ai_answer`` ``{"time_scale": float}``; ``score``
    ``{"scoring_timeout_ms": int}``; ``store_match`` ``{"ranking": [...]}``; ``follow_up`` ``{}``.

    Args:
        answerer: a :class:`personas.answerer.Answerer`.
        bank: the question bank (to resolve ``ScoreJob.question_id``).
        scorer_for: ``answer_seconds -> Scorer``.
        results: a :class:`server.store.results.ResultStore` (opened), for ``store_match``.
        pool: the executor for CPU work (None: the loop's default).
    """

    def __init__(self, answerer: Any, bank: QuestionBank, scorer_for: Callable[[int], Any], results: Any = None,
                 pool: Executor | None = None) -> None:
        self.answerer, self.bank, self.scorer_for, self.results, self.pool = answerer, bank, scorer_for, results, pool

    async def run(self, job: Any, params: dict) -> Any:
        """The result of ``job`` (see the table above). Raises what the work raises (a bad job,
        PostgreSQL down, ...); the caller decides what the room gets then."""
        if isinstance(job, AIAnswerJob):
            return await self.answerer.answer(job, time_scale=params.get("time_scale", 1.0), executor=self.pool)
        if isinstance(job, FollowUpJob):
            return await self.answerer.follow_up(job)
        if isinstance(job, ScoreJob):
            q = (question_from_dict(params["question"], "score job") if "question" in params
                 else self.bank.get(job.question_id))
            scorer = self.scorer_for(job.answer_seconds)
            results = await asyncio.get_running_loop().run_in_executor(
                self.pool, scorer.score_answers, q, job.answers, job.lang)
            return await self.answerer.judge(q, job, results, params.get("scoring_timeout_ms", 20_000))
        if isinstance(job, MatchFinishedJob):
            await self.results.save_match(job.record, params.get("ranking") or [])
            return f"/api/v1/rooms/{job.room_id}/report"
        raise TypeError(f"unknown job {type(job).__name__}")


# ------------------------------------------------------------------------------------- wire form
def encode(job: Any, params: dict) -> dict:
    """``{"kind", "job", "params"}``, JSON-safe. Raises ``KeyError`` for an unknown job type."""
    d = asdict(job)
    if isinstance(job, AIAnswerJob):
        d["used_story_ids"] = sorted(job.used_story_ids)
        d["context"] = list(job.context)
    return {"kind": KIND_OF[type(job)], "job": d, "params": params}


def decode(msg: dict) -> tuple[Any, dict]:
    """Inverse of :func:`encode`: ``(job, params)``. Raises ``KeyError``/``TypeError`` for a bad message."""
    cls, d = KINDS[msg["kind"]], dict(msg["job"])
    if cls is AIAnswerJob:
        d["used_story_ids"] = frozenset(d.get("used_story_ids") or ())
        d["context"] = tuple(d.get("context") or ())
    elif cls is ScoreJob:
        d["answers"] = tuple(AnswerToScore(**a) for a in d.get("answers") or ())
    return cls(**d), dict(msg.get("params") or {})


def encode_result(kind: str, result: Any) -> Any:
    if kind == "score":
        return {k: (v.to_dict() if isinstance(v, ScoreResult) else v) for k, v in result.items()}
    if kind == "ai_answer":
        return list(result)
    return result


def decode_result(kind: str, data: Any) -> Any:
    if kind == "score":
        return {k: ScoreResult(int(v["score"]), dict(v.get("dimensions") or {}), v.get("feedback") or "")
                for k, v in data.items()}
    if kind == "ai_answer":
        text, think_ms, wpm, story = data
        return text, int(think_ms), int(wpm), story
    return data
