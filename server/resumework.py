"""Résumé question generation as a job of the job queue (:mod:`server.jobqueue`), in a worker or inline.

:class:`ResumeQuestionsJob` is the queue's message for it (kind ``resume_questions``, see
:mod:`server.jobwork`); :func:`generate_questions` is the work, the same code in an ``arena worker``
and in the game process (the fallback): it reads the résumé's text from PostgreSQL, parses it, generates
the set (``resumes.generate``, the e5 embedding part in a thread), adds the LLM's questions when a remote
provider is configured (``resumes.enrich``), and stores the profile and the set (``resume_questions``).
The job row (``jobs``) and its SSE stream stay with the game process's :class:`server.job_runner.JobRunner`:
a worker sends its progress on the job's reply channel, the game process writes it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Callable

from .store.resumes import ResumeStore

KIND = "resume_questions"
#: How long a worker may take once it claimed a generation (s); after that the job fails (``TimeoutError``).
DEADLINE_S = 300.0


@dataclass(frozen=True)
class ResumeQuestionsJob:
    """Generate the question set of one résumé.

    ``job_id``: the queue's id (the résumé id: one generation per upload); ``resume_id``, ``owner_id``:
    whose résumé (the text is read from PostgreSQL, not carried on the queue)."""
    job_id: str
    resume_id: str
    owner_id: str


async def generate_questions(store: ResumeStore, job: ResumeQuestionsJob, progress: Callable[[int], None],
                             chain: Any = None) -> dict:
    """Generate and store ``job``'s question set; returns ``{resume_id, questions, llm_questions}`` (counts).

    Args:
        progress: called with 0-99 (percent) as the work goes, from any thread.
        chain: an :class:`llm.chain.LLMChain` for the LLM's questions; None: the process chain
            (the environment, ``docs/llm.md``).

    Raises:
        LookupError: the résumé is gone (deleted, or not ``owner_id``'s). Whatever PostgreSQL raises.
    """
    from resumes.enrich import llm_questions
    from resumes.generate import generate
    from resumes.parse import parse

    res = await store.get(job.resume_id, job.owner_id)
    if res is None:
        raise LookupError(f"résumé {job.resume_id} is gone")
    text = res["text"]
    profile = await asyncio.to_thread(parse, text)
    prefix = "rq-" + job.resume_id[2:]
    qs = await asyncio.to_thread(generate, profile, prefix, lambda p: progress(p * 85 // 100))
    extra = await llm_questions(profile, text, prefix, start=len(qs) + 1, chain=chain)
    progress(92)
    if extra:
        qs = qs[:1] + extra + qs[1:]
    await store.save_questions(job.resume_id, profile.to_dict(), qs)
    return {"resume_id": job.resume_id, "questions": len(qs), "llm_questions": len(extra)}
