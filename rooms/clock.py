"""Injected clocks. The room engine never reads the wall clock itself.

All times are integer milliseconds since the Unix epoch, because deadlines go
to clients as server epoch ms (``deadline_ms``).
"""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """Anything with ``now_ms() -> int`` (epoch milliseconds)."""

    def now_ms(self) -> int: ...


class SystemClock:
    """The real wall clock, in epoch milliseconds."""

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000


class ManualClock:
    """A clock that only moves when told to; used by tests and simulations.

    Args:
        start_ms: initial epoch milliseconds.
    """

    def __init__(self, start_ms: int = 1_700_000_000_000) -> None:
        self._now = int(start_ms)

    def now_ms(self) -> int:
        return self._now

    def advance(self, ms: int) -> int:
        """Move forward by ``ms`` milliseconds (must be >= 0); returns the new time."""
        if ms < 0:
            raise ValueError("a clock cannot go backwards")
        self._now += int(ms)
        return self._now
