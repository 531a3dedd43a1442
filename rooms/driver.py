"""The one job driver: what every runtime does between a room's outbox and its jobs' results.

A runtime (the server's ``RoomHost``, the synchronous :class:`rooms.sim.LocalRuntime`) drains
the room, delivers the events, runs the jobs however it likes (inline, in a thread, in a worker
process) and hands each result to :meth:`JobDriver.deliver`. The driver is the only code that

- reads the board changes off ``score_update`` events (:meth:`JobDriver.score_deltas`),
- publishes ``leaderboard_update`` from a board (:meth:`JobDriver.publish_board`),
- applies a job's result to the room (``provide_ai_answer`` / ``provide_follow_up`` /
  ``provide_scores``), and
- publishes ``session_complete`` once the finished match is stored (:class:`MatchStored`).

Pure: no I/O, no clock; the runtime brings the board (``participant_id -> total``) it keeps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from .jobs import AIAnswerJob, FollowUpJob, MatchFinishedJob, RoomEvent, ScoreJob


#: A board: ``participant_id -> total``, or ``[(participant_id, total)]`` best first.
Board = Mapping[str, float] | Sequence[tuple[str, float]]


@dataclass(frozen=True)
class MatchStored:
    """The result of a :class:`MatchFinishedJob`.

    Attributes:
        ranking: the final ranking (``Room.leaderboard`` of the board the match was stored with).
        report_url: where the report is served, or None when the match could not be stored.
    """

    ranking: list
    report_url: str | None = None


class JobDriver:
    """Connects one room to its runtime's job execution.

    Args:
        room: a :class:`rooms.room.Room` (duck-typed: ``publish``, ``leaderboard``, ``provide_*``).
    """

    def __init__(self, room: Any) -> None:
        self.room = room

    @staticmethod
    def score_deltas(events: Iterable[RoomEvent]) -> list[tuple[str, int]]:
        """``(participant_id, points)`` of every ``score_update`` among ``events``, in order:
        what the runtime adds to its board before the events go out."""
        return [(ev.payload["participant_id"], ev.payload["score"]) for ev in events if ev.name == "score_update"]

    def ranking(self, board: Board) -> list[dict]:
        """The room's ranking (``[{participant_id, display_name, kind, score, rank}]``, best first)
        for ``board``: ``participant_id -> total``, or ``[(participant_id, total)]`` best first
        (as read back from Redis)."""
        return self.room.leaderboard(board)

    def publish_board(self, board: Board) -> RoomEvent:
        """Publish ``leaderboard_update`` for ``board``; returns the event (next ``seq``)."""
        return self.room.publish("leaderboard_update", {"entries": self.ranking(board)})

    def deliver(self, job: Any, result: Any) -> bool:
        """Apply ``result`` of ``job`` to the room.

        ``result`` by job: ``AIAnswerJob`` -> ``(text, think_ms, words_per_minute, story_id)``;
        ``FollowUpJob`` -> ``str | None`` (None: the room asks its stock question); ``ScoreJob`` ->
        ``{answer_id: ScoreResult | dict}``; ``MatchFinishedJob`` -> :class:`MatchStored`.

        Returns False when the room no longer waits for it (a late or duplicate result: the
        room timed out and went on), True otherwise. Raises ``TypeError`` for an unknown job.
        """
        room = self.room
        if isinstance(job, AIAnswerJob):
            text, think_ms, wpm, story_id = result
            return bool(room.provide_ai_answer(job.job_id, text, think_ms, wpm, story_id))
        if isinstance(job, FollowUpJob):
            return bool(room.provide_follow_up(job.job_id, result))
        if isinstance(job, ScoreJob):
            return bool(room.provide_scores(job.job_id, result))
        if isinstance(job, MatchFinishedJob):
            room.publish("session_complete", {"ranking": result.ranking, "report_url": result.report_url})
            return True
        raise TypeError(f"unknown job {type(job).__name__}")
