"""One task ticks every room of the process: :class:`RoomTicker`.

A task per room, each sleeping ``1 / tick_hz`` s between ticks, costs the event loop a timer, a task
wake-up, a lock and a flush attempt per room and tick: 4,000 wake-ups a second at 400 rooms and 10 Hz,
most of them for rooms with nothing to send (``docs/performance.md``, issue 11). The ticker instead
wakes ``slots`` times per tick interval and ticks one slot's rooms each time (rooms are dealt to the
slots in turn), so every room is still ticked every ``1 / tick_hz`` s, the work is spread over the
interval, and only a room whose tick left something to deliver gets a flush task
(:meth:`server.runtime.RoomHost.tick`).
"""

from __future__ import annotations

import asyncio
from typing import Any

from .logs import log

#: The ticker wakes about this often (s): the interval is cut into that many slots.
SLOT_S = 0.01


class RoomTicker:
    """Ticks the hosts :meth:`add`-ed to it, each every ``1 / tick_hz`` s, from one task.

    Args:
        tick_hz: ticks per second of every room here.
        slot_s: about how often the task wakes (s); ``1 / tick_hz`` is cut into
            ``max(1, round(1 / tick_hz / slot_s))`` slots.
    """

    def __init__(self, tick_hz: float, slot_s: float = SLOT_S) -> None:
        self.interval = 1.0 / tick_hz
        self.slots: list[dict[int, Any]] = [{} for _ in range(max(1, round(self.interval / slot_s)))]
        self._next_slot = 0
        self._slot_of: dict[int, int] = {}
        self.task: asyncio.Task | None = None

    def __len__(self) -> int:
        return len(self._slot_of)

    def add(self, host: Any) -> None:
        """Tick ``host`` (``host.tick()``, sync) from the next time its slot comes round."""
        k = self._next_slot
        self._next_slot = (k + 1) % len(self.slots)
        self.slots[k][id(host)] = host
        self._slot_of[id(host)] = k
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._run(), name=f"room-ticker-{1 / self.interval:g}hz")

    def discard(self, host: Any) -> None:
        k = self._slot_of.pop(id(host), None)
        if k is not None:
            self.slots[k].pop(id(host), None)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        step = self.interval / len(self.slots)
        nxt = loop.time()
        k = 0
        while self._slot_of:
            nxt += step
            delay = nxt - loop.time()
            if delay < -self.interval:       # fell behind (e.g. a GC pause): don't burst to catch up
                nxt = loop.time()
                delay = 0
            await asyncio.sleep(max(0.0, delay))
            for host in list(self.slots[k].values()):
                try:
                    host.tick()
                except Exception:            # RoomHost.tick catches its room's errors; this is the last net
                    log.exception("room_ticker_failed")
            k = (k + 1) % len(self.slots)

    def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
