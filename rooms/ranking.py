"""Standard competition ranking ("1224"): the one ranking function of the game (leaderboards,
the comparator of answers to one question, and the in-memory RankCalculator all use it)."""

from __future__ import annotations

from typing import Iterable, Mapping


def rank_scores(scores: Mapping[str, float] | Iterable[tuple[str, float]]) -> list[tuple[str, float, int]]:
    """Rank participants by score, highest first, ties sharing a rank.

    Standard competition ranking (scores 90, 80, 80, 70 → ranks 1, 2, 2, 4).
    Equal scores are listed by participant id so the order is deterministic.

    Args:
        scores: participant id -> cumulative score (any number).
    Returns:
        ``[(participant_id, score, rank)]`` best first.
    """
    items = list(scores.items()) if isinstance(scores, Mapping) else list(scores)
    items.sort(key=lambda kv: (-kv[1], kv[0]))
    out: list[tuple[str, float, int]] = []
    for i, (pid, s) in enumerate(items):
        rank = out[-1][2] if out and out[-1][1] == s else i + 1
        out.append((pid, s, rank))
    return out
