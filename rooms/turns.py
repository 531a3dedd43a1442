"""The plain data of a match's answering: :class:`Answer` (submitted, auto-submitted or skipped)
and :class:`Turn` (one participant's turn at the current question). Both are part of the room's
state tree (:mod:`rooms.state`) and convert to and from JSON-able dicts."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from .scoring import ScoreResult


@dataclass
class Answer:
    """A submitted (or auto-submitted, or skipped) answer to one question."""

    answer_id: str
    participant_id: str
    question_id: str
    question_index: int
    text: str
    submitted_ms: int
    auto_submitted: bool = False
    skipped: bool = False
    story_id: str | None = None
    result: ScoreResult | None = None
    follow_up_of: str | None = None      # the main answer this one follows up
    follow_up_question: str | None = None
    announced: bool = False              # its text was broadcast (answer_submitted)

    def public(self, with_score: bool = True) -> dict:
        d = {"answer_id": self.answer_id, "participant_id": self.participant_id, "question_id": self.question_id,
             "question_index": self.question_index, "text": self.text, "auto_submitted": self.auto_submitted,
             "skipped": self.skipped}
        if self.follow_up_of:
            d.update(follow_up_of=self.follow_up_of, follow_up_question=self.follow_up_question)
        if with_score and self.result is not None:
            d.update(self.result.to_dict())
        return d

    def to_dict(self) -> dict:
        d = {k: getattr(self, k) for k in _ANSWER_FIELDS}
        d["result"] = self.result.to_dict() if self.result is not None else None
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Answer":
        r = d.get("result")
        return cls(**{**d, "result": ScoreResult(**r) if r is not None else None})


@dataclass
class Turn:
    """One participant's turn at the current question.

    ``plan`` (AI only) holds the epoch ms at which each word of ``ai_words`` is shown; ``shown``
    is how many words have been streamed. Every time is absolute (the injected clock's epoch ms),
    so a restored turn keeps its deadline.
    """

    participant_id: str
    started_ms: int
    deadline_ms: int
    draft: str = ""
    done: bool = False
    absent_since: int | None = None       # set when the turn begins while its player is away (or they left)
    ai_job_id: str | None = None
    ai_seed: int | None = None            # the AI answer's seed, drawn once (a re-issued job keeps it)
    ai_words: list = field(default_factory=list)
    plan: list = field(default_factory=list)
    shown: int = 0
    story_id: str | None = None
    last_stream_ms: int = 0
    stream_pending: bool = False
    follow_up: str | None = None          # the follow-up question, for a follow-up turn

    def to_dict(self) -> dict:
        d = {k: getattr(self, k) for k in _TURN_FIELDS}
        d["ai_words"], d["plan"] = list(self.ai_words), list(self.plan)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Turn":
        return cls(**d)


# Field names, for fast explicit to_dict (dataclasses.asdict deep-copies: ~25x slower on a match's answers).
_ANSWER_FIELDS = tuple(f.name for f in fields(Answer))
_TURN_FIELDS = tuple(f.name for f in fields(Turn))
