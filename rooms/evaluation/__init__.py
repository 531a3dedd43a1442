"""Scoring of answers: the Scorer interface and its implementations."""

from .base import AnswerToScore, ScoreResult, Scorer, clamp_score

__all__ = ["AnswerToScore", "ScoreResult", "Scorer", "clamp_score"]
