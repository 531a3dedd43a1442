"""Several media sidecars: the registry of live sidecars and which one serves which room.

Each sidecar (``server/media/sidecar.py``) refreshes, every ``$ARENA_MEDIA_HEARTBEAT_S`` s
(1 s), a heartbeat key ``media:sidecar:<pool>:<id>`` with a TTL (``$ARENA_MEDIA_HEARTBEAT_TTL_S``,
4 s) holding its load (:meth:`~server.media.sidecar.MediaSidecar.load_report`), and its id in the
sorted set ``media:sidecars:<pool>`` (the index, so readers never SCAN the keyspace). ``<pool>``
is the shared in channel (``media:in``); a sidecar also listens on its own channel
``<pool>:<id>``. A key that expired is a sidecar that died (SIGKILL, OOM, host lost): it has
missed its heartbeats for a TTL.

:class:`SidecarPool` is the game server's view (one per :class:`~server.media_bridge.MediaBridge`):

* :meth:`refresh` reads the registry (ZRANGE + MGET; expired index entries are removed);
* :meth:`channel_for` gives a room its sidecar, sticky: the one it has while that one is alive,
  else the least loaded live sidecar (:func:`load_score`);
* :meth:`lost` lists the rooms whose sidecar left the registry or restarted (another ``boot``),
  and forgets those assignments; the bridge then hands those rooms to another sidecar.

Pure bookkeeping plus two Redis reads; no pub/sub here.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from .media.sidecar import heartbeat_key, registry_key

#: Index entries this much past their heartbeat's expiry are removed (ms). Liveness is the key's
#: TTL; the index only lists candidates, so host clock skew up to this does not hide a sidecar.
INDEX_GRACE_MS = 60_000


def load_score(info: dict, local_rooms: int = 0) -> tuple:
    """Sort key of a sidecar for a new room: lower is less loaded.

    Args:
        info: its heartbeat (``rooms``, ``capacity``, ``backlog_s``, ``cpu``, ``id``).
        local_rooms: rooms this game server has assigned to it (counted before its next
            heartbeat reports them, so a burst of new rooms is spread too).

    Returns:
        ``(rooms / capacity, backlog_s, cpu, id)``: room load first, then audio waiting for
        STT (s), then CPU (cores), then the id, so equal sidecars are ordered the same everywhere.
    """
    cap = max(1, int(info.get("capacity") or 1))
    rooms = max(int(info.get("rooms") or 0), int(local_rooms))
    return (rooms / cap, float(info.get("backlog_s") or 0.0), round(float(info.get("cpu") or 0.0), 1),
            str(info.get("id") or ""))


@dataclass(frozen=True)
class Assignment:
    """The sidecar serving a room: ``sidecar_id`` and the ``boot`` of the process that got it."""

    sidecar_id: str
    boot: str | None
    channel: str


class SidecarPool:
    """The live sidecars of one pool (in channel) and the rooms assigned to them.

    Args:
        redis: a ``redis.asyncio.Redis`` client (``decode_responses=True``).
        pool: the shared in channel, e.g. ``media:in``.
    """

    def __init__(self, redis: Any, pool: str) -> None:
        self.redis = redis
        self.pool = pool
        self.live: dict[str, dict] = {}              # sidecar id -> its last heartbeat
        self.rooms: dict[str, Assignment] = {}       # room id -> its sidecar
        self.refreshed_at = 0.0                      # time.monotonic() of the last refresh

    async def refresh(self) -> dict[str, dict]:
        """:meth:`read` the registry and keep it as the snapshot :meth:`channel_for` and :meth:`lost`
        use. Call :meth:`lost` right after (no ``await`` between), so no room is moved silently.

        Raises:
            redis.exceptions.RedisError: Redis unreachable (the last snapshot is kept).
        """
        self.live = await self.read()
        self.refreshed_at = time.monotonic()
        return self.live

    async def read(self) -> dict[str, dict]:
        """The registry now: ``{sidecar id: heartbeat}`` of the sidecars alive (keys not expired).

        Raises:
            redis.exceptions.RedisError: Redis unreachable (the last snapshot is kept).
        """
        now_ms = int(time.time() * 1000)
        idx = registry_key(self.pool)
        ids = await self.redis.zrangebyscore(idx, now_ms - INDEX_GRACE_MS, "+inf")
        live: dict[str, dict] = {}
        if ids:
            for sid, raw in zip(ids, await self.redis.mget([heartbeat_key(self.pool, i) for i in ids])):
                if raw is None:
                    continue                          # expired: missed its heartbeats for a TTL
                try:
                    info = json.loads(raw)
                except ValueError:
                    info = {}
                if not isinstance(info, dict):
                    info = {}
                info.setdefault("id", sid)
                info.setdefault("channel", self.pool)  # an old sidecar: only the shared channel
                live[sid] = info
        await self.redis.zremrangebyscore(idx, "-inf", now_ms - INDEX_GRACE_MS)
        return live

    def counts(self) -> dict[str, int]:
        """Rooms this game server has assigned to each sidecar."""
        out: dict[str, int] = {}
        for a in self.rooms.values():
            out[a.sidecar_id] = out.get(a.sidecar_id, 0) + 1
        return out

    def pick(self) -> str | None:
        """The least loaded live sidecar (:func:`load_score`), or None when none is alive."""
        if not self.live:
            return None
        counts = self.counts()
        return min(self.live, key=lambda i: load_score(self.live[i], counts.get(i, 0)))

    def _valid(self, a: Assignment) -> bool:
        info = self.live.get(a.sidecar_id)
        return info is not None and info.get("boot") == a.boot

    def channel_for(self, room_id: str) -> str | None:
        """The channel of the room's sidecar, assigning the least loaded one if it has none.

        Returns None when no sidecar is alive (as of the last :meth:`refresh`).
        """
        a = self.rooms.get(room_id)
        if a is not None and self._valid(a):
            return a.channel
        sid = self.pick()
        if sid is None:
            return None
        info = self.live[sid]
        a = self.rooms[room_id] = Assignment(sid, info.get("boot"), str(info.get("channel") or self.pool))
        return a.channel

    def assigned(self, room_id: str) -> Assignment | None:
        """The room's current assignment (None: none yet, or released)."""
        return self.rooms.get(room_id)

    def lost(self) -> list[tuple[str, Assignment]]:
        """Rooms whose sidecar is gone from the registry or restarted since: ``[(room id, old
        assignment)]``. Those assignments are forgotten (the next :meth:`channel_for` picks anew)."""
        gone = [(r, a) for r, a in self.rooms.items() if not self._valid(a)]
        for r, _ in gone:
            del self.rooms[r]
        return gone

    def release(self, room_id: str) -> None:
        """The room no longer needs a sidecar (match over)."""
        self.rooms.pop(room_id, None)
