"""Which scorer the server and CLI use by default."""

from __future__ import annotations

from .base import Scorer


def default_scorer(answer_seconds: int = 90) -> Scorer:
    """Return the default offline scorer (loads any models once per call site).

    Args:
        answer_seconds: the room's answer time (s), for the expected length.
    """
    from .rubric import RubricScorer

    return RubricScorer(answer_seconds=answer_seconds)
