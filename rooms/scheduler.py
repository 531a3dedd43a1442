"""The TurnScheduler: who answers when.

Round-robin mode (the classic group interview): one candidate at a time; the
order rotates by one seat every question, so nobody always goes first.
Simultaneous mode: everyone answers at once; answers stay hidden until reveal.
"""

from __future__ import annotations

from typing import Sequence

ROUND_ROBIN, SIMULTANEOUS = "round_robin", "simultaneous"


class TurnScheduler:
    """Computes the answering order per question.

    Args:
        mode: ``"round_robin"`` or ``"simultaneous"``.
        seats: participant ids in seat order (fixed at match start).
    """

    def __init__(self, mode: str, seats: Sequence[str]) -> None:
        if mode not in (ROUND_ROBIN, SIMULTANEOUS):
            raise ValueError(f"unknown turn mode {mode!r}")
        self.mode = mode
        self.seats = list(seats)

    def order(self, question_index: int) -> list[str]:
        """Answering order for question ``question_index`` (0-based).

        Round robin: seat order rotated left by ``question_index``; so with
        seats [a, b, c] questions 0, 1, 2 start with a, b, c. Simultaneous:
        the seat order (everyone answers at once).
        """
        if not self.seats:
            return []
        if self.mode == SIMULTANEOUS:
            return list(self.seats)
        k = question_index % len(self.seats)
        return self.seats[k:] + self.seats[:k]

    @property
    def simultaneous(self) -> bool:
        return self.mode == SIMULTANEOUS
