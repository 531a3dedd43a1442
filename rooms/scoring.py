"""The scoring interface every evaluator implements (the implementations live in the top-level ``scoring/``).

The room never calls a scorer directly: it emits a ``ScoreJob`` and the
runtime (server or simulation driver) runs the scorer off the event loop and
feeds the results back with ``Room.provide_scores``. A scorer therefore only
has to be a pure function of (question, answers, language).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, Sequence

from .questions import Question


def clamp_score(x: float) -> int:
    """Round and clamp to the 0-100 integer score scale."""
    return int(max(0, min(100, round(x))))


@dataclass(frozen=True)
class AnswerToScore:
    """One answer to the question being scored.

    Attributes:
        answer_id: the room's answer id.
        participant_id: who answered.
        text: the answer text (may be empty).
        skipped: True when the turn was skipped (absent player).
        spoken: delivery measurements for spoken answers (media issue), else None.
    """

    answer_id: str
    participant_id: str
    text: str
    skipped: bool = False
    spoken: dict | None = None


@dataclass(frozen=True)
class ScoreResult:
    """A scored answer.

    Attributes:
        score: overall 0-100.
        dimensions: rubric dimension name -> 0-100.
        feedback: one line (or two) of feedback for the answerer.
    """

    score: int
    dimensions: dict = field(default_factory=dict)
    feedback: str = ""

    def to_dict(self) -> dict:
        return {"score": self.score, "dimensions": dict(self.dimensions), "feedback": self.feedback}


#: What an answer gets when scoring did not return in time and no fallback scorer was injected.
UNSCORED = ScoreResult(0, {}, "This answer could not be scored in time.")


class Scorer(Protocol):
    """Scores all answers to one question at once, so answers can be compared.

    ``score_answers`` returns ``{answer_id: ScoreResult}`` with one entry per
    input answer. It must not raise on empty, huge or odd text: such answers
    get a defined low score.
    """

    def score_answers(self, question: Question, answers: Sequence[AnswerToScore],
                      lang: str) -> dict[str, ScoreResult]: ...
