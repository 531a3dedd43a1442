"""Standard competition ranking ("1224"): the one ranking function of the game (leaderboards,
the comparator of answers to one question, and the in-memory RankCalculator all use it)."""

from __future__ import annotations

from dataclasses import dataclass
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


def competition_ranks(scores: Mapping[str, float]) -> dict[str, int]:
    """Rank ids by score, highest first, ties sharing a rank (1, 2, 2, 4).

    Args:
        scores: id -> score (any comparable number; 0-100 in practice).

    Returns:
        id -> rank, starting at 1. Empty input gives an empty dict.
    """
    return {key: rank for key, _, rank in rank_scores(scores)}


@dataclass(frozen=True)
class Standing:
    """One row of the leaderboard.

    Attributes:
        participant_id: who.
        rank: competition rank, 1 = best.
        total: sum of the participant's scores (each 0-100).
        answered: number of scored answers.
    """

    participant_id: str
    rank: int
    total: int
    answered: int


class RankCalculator:
    """Cumulative leaderboard from per-question scores.

    Keeps a total per participant in memory (the server mirrors it into a Redis
    sorted set). Ranks are competition ranks over totals, so equal totals tie.
    """

    def __init__(self) -> None:
        self._totals: dict[str, int] = {}
        self._count: dict[str, int] = {}

    def add(self, participant_id: str, score: int) -> None:
        """Add one answer's 0-100 score.

        Raises:
            ValueError: if ``score`` is outside 0-100.
        """
        if not 0 <= score <= 100:
            raise ValueError(f"score must be 0-100, got {score}")
        self._totals[participant_id] = self._totals.get(participant_id, 0) + int(score)
        self._count[participant_id] = self._count.get(participant_id, 0) + 1

    def add_many(self, items: Iterable[tuple[str, int]]) -> None:
        """Add several ``(participant_id, score)`` pairs."""
        for pid, s in items:
            self.add(pid, s)

    def ensure(self, participant_id: str) -> None:
        """List a participant with a total of 0 (e.g. a player who has not answered yet)."""
        self._totals.setdefault(participant_id, 0)
        self._count.setdefault(participant_id, 0)

    def standings(self) -> list[Standing]:
        """All participants, best first, ties sharing a rank (1, 2, 2, 4)."""
        ranks = competition_ranks(self._totals)
        rows = [Standing(pid, ranks[pid], t, self._count.get(pid, 0)) for pid, t in self._totals.items()]
        rows.sort(key=lambda r: (r.rank, r.participant_id))
        return rows

    def rank_of(self, participant_id: str) -> int:
        """Current rank of a participant.

        Raises:
            KeyError: for an unknown participant.
        """
        return competition_ranks(self._totals)[participant_id]
