"""Rate limits of client-to-server events, per connection and per user.

Each event belongs to a *class* with its own budget: ``draft`` (``answer_draft``), ``audio``
(``audio_chunk``), ``state`` (``request_state``, ``join_room``: each builds a full room snapshot)
and ``command`` (every other event). A budget is a leaky bucket
(:class:`aiolimiter.AsyncLimiter`): ``burst`` events at once, refilled at ``per_second``.
Every connection (Socket.IO sid) has one bucket per class, and every user (``user_id``, all
of their tabs together) has one with :data:`USER_FACTOR` times the connection's budget, so
opening more sockets does not buy more budget. An event is accepted only when both buckets
have room; it then takes one unit from each.

An event over budget is refused by :meth:`RateLimiter.check` *before* its payload is validated
(no pydantic, no room, nothing broadcast), with the error ack
``{"ok": false, "error": {"code": "rate_limited", "message", "retry_after_ms"}}`` and a count in
``arena_rate_limited_total{event, scope}``.

Why aiolimiter rather than ``limits``: a check here is O(1) and never waits (``has_capacity`` then a
non-blocking ``acquire``), and forgetting a key is dropping its object; ``limits``' in-memory storages
sweep every key from a timer (and its async one from a task spawned per hit), which costs O(keys) per
hit under a flood with thousands of connections.

The numbers and their reasons are :data:`DEFAULT_BUDGETS` (rendered into ``docs/protocol.md``).

Per-connection state is forgotten at disconnect; a user's buckets are forgotten when their last
connection is gone and the buckets have drained (at most ``burst / per_second`` s later), so
reconnecting does not refill a user's budget early and nothing is kept for users who left.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass

from aiolimiter import AsyncLimiter

from rooms.errors import ErrorCode

from . import metrics, schemas

USER_FACTOR = 2          # a user's budget = 2 x a connection's (two tabs)


@dataclass(frozen=True)
class Budget:
    """A leaky bucket: ``burst`` events at once, then ``per_second`` events per second."""

    burst: int
    per_second: float
    why: str = ""        # the source of the numbers (shown in docs/protocol.md)

    def limiter(self, factor: float = 1) -> AsyncLimiter:
        return AsyncLimiter(self.burst * factor, self.burst / self.per_second)

    @classmethod
    def parse(cls, text: str) -> "Budget":
        """``"15,15"`` -> ``Budget(15, 15.0)`` (``burst,per_second``). Raises ``ValueError``."""
        burst, rate = (x.strip() for x in text.split(","))
        b = cls(int(burst), float(rate))
        if b.burst < 1 or b.per_second <= 0:
            raise ValueError(f"a rate budget needs burst >= 1 and per_second > 0, got {text!r}")
        return b


DEFAULT_BUDGETS: dict[str, Budget] = {
    "draft": Budget(15, 15.0, "the web client sends at most one draft per 300 ms (`draftIntervalMs`); "
                              "a fast client one per 100 ms (10/s): 1.5x that"),
    "audio": Budget(30, 30.0, "the PCM fallback sends a 100 ms chunk every 100 ms (10/s); "
                              "3x real time lets a client catch up after a 3 s stall"),
    "state": Budget(5, 2.0, "a full snapshot (~0.3-1 ms of the loop and a Redis read): the web client asks for "
                            "one per (re)join or seq gap, one at a time; a burst of 5 costs others at most a few ms"),
    "command": Budget(30, 10.0, "the web client sends a few per minute (create, ready, start, submit); "
                                "scripted clients and bots a few per second"),
}
EVENT_CLASS = {"answer_draft": "draft", "audio_chunk": "audio", "request_state": "state", "join_room": "state"}


def event_class(event: str) -> str:
    """The budget class of a client event name: ``draft``, ``audio``, ``state`` or ``command`` (the rest)."""
    return EVENT_CLASS.get(event, "command")


class RateLimiter:
    """Per-connection and per-user budgets for client events (see the module docstring).

    ``budgets`` overrides :data:`DEFAULT_BUDGETS` by class; ``enabled=False`` accepts everything.
    """

    def __init__(self, budgets: dict[str, Budget] | None = None, enabled: bool = True) -> None:
        self.budgets = {**DEFAULT_BUDGETS, **(budgets or {})}
        self.enabled = enabled
        self._conn: dict[str, dict[str, AsyncLimiter]] = {}
        self._user: dict[str, dict[str, AsyncLimiter]] = {}
        self._user_of: dict[str, str] = {}              # sid -> user_id
        self._sids: dict[str, set[str]] = {}            # user_id -> live sids
        self._refused = {(e, scope): metrics.RATE_LIMITED.labels(e, scope)
                         for e in schemas.CLIENT_EVENTS for scope in ("connection", "user")}

    async def check(self, event: str, sid: str, user_id: str) -> dict | None:
        """``None`` when ``event`` from ``sid``/``user_id`` is within budget (and counts it), else the
        ``rate_limited`` error ack to return. O(1); never waits."""
        if not self.enabled:
            return None
        cls = event_class(event)
        conn = self._conn.get(sid)
        if conn is None:
            conn = self._conn[sid] = {}
            self._user_of[sid] = user_id
            self._sids.setdefault(user_id, set()).add(sid)
        c = conn.get(cls) or conn.setdefault(cls, self.budgets[cls].limiter())
        user = self._user.setdefault(user_id, {})
        u = user.get(cls) or user.setdefault(cls, self.budgets[cls].limiter(USER_FACTOR))
        conn_ok = c.has_capacity()     # read once: a second read may see the bucket refilled since
        if conn_ok and u.has_capacity():
            await c.acquire()          # has capacity: returns without suspending
            await u.acquire()
            return None
        scope = "user" if conn_ok else "connection"
        self._refused[(event, scope)].inc()
        metrics.EVENTS_IN.labels(event, ErrorCode.RATE_LIMITED).inc()
        b = self.budgets[cls]
        k = 1 if scope == "connection" else USER_FACTOR
        return schemas.error_ack(ErrorCode.RATE_LIMITED,
                                 f"too many {cls} events: {b.per_second * k:g}/s per {scope} (burst {b.burst * k})",
                                 retry_after_ms=math.ceil(1000 / (b.per_second * k)))

    def forget(self, sid: str) -> None:
        """Drop ``sid``'s buckets (at disconnect); the user's once their last sid is gone and drained."""
        self._conn.pop(sid, None)
        user_id = self._user_of.pop(sid, None)
        if user_id is None:
            return
        sids = self._sids.get(user_id)
        if sids is not None:
            sids.discard(sid)
            if sids:
                return
            del self._sids[user_id]
        # a bucket's time_period is the time it takes to drain from full to empty
        drain_s = max((b.time_period for b in self._user.get(user_id, {}).values()), default=0)
        asyncio.get_running_loop().call_later(drain_s, self._forget_user, user_id)

    def _forget_user(self, user_id: str) -> None:
        if user_id not in self._sids:
            self._user.pop(user_id, None)

    def tracked(self) -> tuple[int, int]:
        """``(connections, users)`` with state held (for tests and debugging)."""
        return len(self._conn), len(self._user)
