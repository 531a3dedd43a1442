"""What a room sends out: seq-numbered broadcast events and work requests (jobs).

The room is pure, so anything slow or effectful (an AI candidate composing an
answer, scoring, storing the finished match) leaves the room as a *job*. The
runtime runs it off the event loop and feeds the result back with
``Room.provide_ai_answer`` / ``Room.provide_scores``. Jobs are plain data.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RoomEvent:
    """A broadcast to everyone in the room. ``seq`` increases by exactly one per event."""

    seq: int
    name: str
    payload: dict

    def wire(self) -> dict:
        """The payload as sent: the event's fields plus ``seq`` and ``room_id`` (added by the room)."""
        return {**self.payload, "seq": self.seq}


@dataclass(frozen=True)
class AIAnswerJob:
    """Ask the persona agent for an answer. Reply with ``Room.provide_ai_answer``.

    The rubric (key points, red flags) stays with the scorer: the persona answers from its own
    knowledge, so the job carries only the question.

    Attributes:
        budget_ms: ms from now until the turn deadline, in nominal (unscaled) time.
        context: earlier visible answers to this question (texts).
    """

    job_id: str
    room_id: str
    participant_id: str
    persona_id: str
    skill: int
    question_id: str
    question_text: str
    category: str
    lang: str
    seed: int
    budget_ms: int
    used_story_ids: frozenset = frozenset()
    context: tuple = ()


@dataclass(frozen=True)
class FollowUpJob:
    """Ask the interviewer (LLM chain or offline template) for a follow-up question to one
    candidate's answer. Reply with ``Room.provide_follow_up(job_id, text)``."""

    job_id: str
    room_id: str
    participant_id: str
    question_id: str
    question_text: str
    answer_text: str
    lang: str


@dataclass(frozen=True)
class ScoreJob:
    """Score all answers to one question. Reply with ``Room.provide_scores``.

    Attributes:
        answers: tuple of :class:`scoring.AnswerToScore`.
    """

    job_id: str
    room_id: str
    question_id: str
    lang: str
    answer_seconds: int
    answers: tuple = ()


@dataclass(frozen=True)
class MatchFinishedJob:
    """The match ended; ``record`` is the whole match (see ``Room.match_record``)."""

    job_id: str
    room_id: str
    record: dict = field(default_factory=dict)
