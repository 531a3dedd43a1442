"""How the game process runs one room job: on the job queue when a worker is up, else inline.

:func:`run_room_job` gives each job its parameters and its deadline (from the room's timings),
and returns what :meth:`rooms.driver.JobDriver.deliver` takes. The work itself is
:class:`server.jobwork.JobWork`; the queue and its fallback rules are :mod:`server.jobqueue`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from rooms.driver import JobDriver, MatchStored
from rooms.jobs import AIAnswerJob, FollowUpJob, MatchFinishedJob, ScoreJob
from rooms.questions import question_to_dict

from .logs import log

STORE_DEADLINE_S = 30.0     # storing a match: PostgreSQL's own timeouts are shorter
SLACK_S = 1.0               # a worker's result may come this long after the room stopped waiting


def _with_recordings(manager: Any, job: MatchFinishedJob) -> MatchFinishedJob:
    """The record with each spoken answer's recording path filled in from the media bridge
    (it lives in this process; a worker could not ask it)."""
    rec = getattr(manager.results, "recording_for", None)
    if rec is None:
        return job
    record = dict(job.record)
    record["answers"] = [{**a, "recording": a.get("recording") or rec(record["room_id"], a["participant_id"],
                                                                       a["question_id"], bool(a.get("follow_up_of")))}
                         for a in record.get("answers", [])]
    return replace(job, record=record)


async def run_room_job(manager: Any, room: Any, job: Any) -> Any:
    """The result of ``job`` of ``room``, for :meth:`JobDriver.deliver`.

    A ``MatchFinishedJob`` always returns a :class:`MatchStored` (``report_url`` None when the
    match could not be stored). Raises what the work raises for the other jobs
    (``server.jobqueue.JobFailed``, ``TimeoutError``, ...).
    """
    t = room.settings.timings
    params: dict = {}
    deadline_s = STORE_DEADLINE_S
    if isinstance(job, AIAnswerJob):
        params = {"time_scale": t.answer_scale}
        deadline_s = job.budget_ms * t.answer_scale / 1000 + SLACK_S
    elif isinstance(job, FollowUpJob):
        deadline_s = t.follow_up_wait_ms / 1000 + SLACK_S
    elif isinstance(job, ScoreJob):
        params = {"scoring_timeout_ms": t.scoring_timeout_ms}
        if job.question_id not in manager.bank:     # a résumé room's own question: no worker's bank has it
            params["question"] = question_to_dict(room.bank.get(job.question_id))
        deadline_s = t.scoring_timeout_ms / 1000 + SLACK_S
    elif isinstance(job, MatchFinishedJob):
        board = await manager.redis.room_board(room.room_id)
        ranking = JobDriver(room).ranking(board)
        job = _with_recordings(manager, job)
        try:
            url = await _run(manager, job, {"ranking": ranking}, deadline_s)
        except Exception:
            log.exception("match_store_failed", room_id=room.room_id)
            url = None
        return MatchStored(ranking, url)
    return await _run(manager, job, params, deadline_s)


async def _run(manager: Any, job: Any, params: dict, deadline_s: float) -> Any:
    def inline():
        return manager.work.run(job, params)

    # A custom persona source (tests, demos) lives only in this process.
    local = isinstance(job, AIAnswerJob) and manager.answerer.custom_source
    if manager.queue is None or local:
        return await inline()
    return await manager.queue.run(job, params, deadline_s, inline)
