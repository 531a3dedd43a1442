"""The competitive evaluator and its parts: scorers that implement :class:`rooms.scoring.Scorer`.

``rooms/`` keeps only the protocol and its types (:mod:`rooms.scoring`); everything that judges an
answer (embeddings, rubric features, feedback, the graded-set evaluation) lives here.
"""

from rooms.scoring import AnswerToScore, ScoreResult, Scorer, clamp_score

__all__ = ["AnswerToScore", "ScoreResult", "Scorer", "clamp_score"]
