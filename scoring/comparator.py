"""Ranking answers to one question against each other.

Both use *standard competition ranking* ("1224" ranking): equal scores share
a rank and the next rank skips, e.g. scores 90, 80, 80, 70 -> ranks 1, 2, 2, 4
(see e.g. Wikipedia, "Ranking", section "Standard competition ranking").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from rooms.ranking import competition_ranks
from rooms.scoring import ScoreResult


@dataclass(frozen=True)
class RankedAnswer:
    """One answer's place among the answers to a question.

    Attributes:
        answer_id: the room's answer id.
        rank: competition rank, 1 = best.
        score: overall 0-100.
        gap_to_best: best score minus this score (0-100).
    """

    answer_id: str
    rank: int
    score: int
    gap_to_best: int


class AnswerComparator:
    """Ranks the answers to one question against each other."""

    def rank(self, results: Mapping[str, ScoreResult]) -> list[RankedAnswer]:
        """Rank scored answers.

        Args:
            results: answer_id -> ScoreResult (as returned by a Scorer).

        Returns:
            RankedAnswer list, best first; equal scores share a rank (1, 2, 2, 4);
            among equals the order is by answer_id.
        """
        scores = {aid: r.score for aid, r in results.items()}
        ranks = competition_ranks(scores)
        best = max(scores.values(), default=0)
        out = [RankedAnswer(aid, ranks[aid], scores[aid], best - scores[aid]) for aid in scores]
        out.sort(key=lambda r: (r.rank, r.answer_id))
        return out

    def best(self, results: Mapping[str, ScoreResult]) -> list[str]:
        """Ids of the answers with the top score (several on a tie); empty for no answers."""
        return [r.answer_id for r in self.rank(results) if r.rank == 1]
