"""Redis: leaderboards as sorted sets, room snapshots, and each room's event stream (for replay).

Keys (``P`` = ``ARENA_KEY_PREFIX``, default ``arena:``):

- ``P board:room:<room_id>``: ZSET participant_id -> cumulative score (the room's leaderboard);
- ``P names``: HASH participant_id -> display name (the names a room board was started with);
- ``P room:<room_id>:state``: STRING, the last ``room_state`` snapshot as JSON (1 h TTL);
- ``P room:<room_id>:events``: STREAM, the room's broadcasts for missed-event replay: entry id
  ``<seq>-0``, fields ``n`` (event name) and ``p`` (the wire payload as JSON); at least the last
  :data:`EVENTS_MAXLEN` events (``XADD MAXLEN ~``), expiring :data:`EVENTS_TTL_S` after the room's last
  event, deleted when the room is disposed.

Every score is applied with ZINCRBY; the room's board is read back with
ZREVRANGE, so the leaderboard is never kept twice.
"""

from __future__ import annotations

import json

import redis.asyncio as aioredis
from redis.exceptions import ResponseError

ROOM_BOARD_TTL_S = 24 * 3600
SNAPSHOT_TTL_S = 3600
#: Events a room's stream keeps at least (approximate trimming may keep a few more).
EVENTS_MAXLEN = 1000
#: The stream expires this long (s) after the room's last event: 30 minutes.
EVENTS_TTL_S = 30 * 60
#: Connections the store opens at most; callers beyond that wait (BlockingConnectionPool).
POOL_SIZE = 64
#: Seconds a caller waits for a free connection before ``redis.ConnectionError``.
POOL_TIMEOUT_S = 5.0


class RedisStore:
    """Async access to the leaderboards and snapshots.

    Args:
        url: ``redis://host:port/db`` or ``unix:///path?db=0``.
        prefix: key prefix.
        pool_size: connections at most (``ARENA_REDIS_POOL``); when all are busy a caller waits up to
            ``pool_timeout`` s for one (then ``redis.ConnectionError``) instead of failing at once
            with ``MaxConnectionsError``.
    """

    def __init__(self, url: str, prefix: str = "arena:", *, pool_size: int = POOL_SIZE,
                 pool_timeout: float = POOL_TIMEOUT_S) -> None:
        self.url = url
        self.prefix = prefix
        pool = aioredis.BlockingConnectionPool.from_url(url, max_connections=pool_size, timeout=pool_timeout,
                                                        decode_responses=True)
        self.r = aioredis.Redis.from_pool(pool)

    def room_key(self, room_id: str) -> str:
        return f"{self.prefix}board:room:{room_id}"

    async def ping(self) -> bool:
        return bool(await self.r.ping())

    async def close(self) -> None:
        await self.r.aclose()

    async def init_board(self, room_id: str, participants: dict[str, str]) -> None:
        """Put every participant on the room board at 0 (NX keeps existing scores); remember names."""
        if not participants:
            return
        async with self.r.pipeline(transaction=True) as p:
            p.zadd(self.room_key(room_id), {pid: 0 for pid in participants}, nx=True)
            p.expire(self.room_key(room_id), ROOM_BOARD_TTL_S)
            p.hset(f"{self.prefix}names", mapping=participants)
            await p.execute()

    async def add_score(self, room_id: str, participant_id: str, score: float) -> None:
        """ZINCRBY the room board by ``score`` (0-100). The boards across matches are kept in
        PostgreSQL (``server/api/boards.py``): one entry per account, AI candidates apart."""
        await self.r.zincrby(self.room_key(room_id), score, participant_id)

    async def room_board(self, room_id: str) -> list[tuple[str, float]]:
        """The room's board, best first: ``[(participant_id, score)]`` (ZREVRANGE WITHSCORES)."""
        return [(m, s) for m, s in await self.r.zrevrange(self.room_key(room_id), 0, -1, withscores=True)]

    async def save_snapshot(self, room_id: str, snapshot: dict) -> None:
        await self.r.set(f"{self.prefix}room:{room_id}:state", json.dumps(snapshot, ensure_ascii=False),
                         ex=SNAPSHOT_TTL_S)

    async def load_snapshot(self, room_id: str) -> dict | None:
        raw = await self.r.get(f"{self.prefix}room:{room_id}:state")
        return json.loads(raw) if raw else None

    # ------------------------------------------------------------- event streams
    def events_key(self, room_id: str) -> str:
        return f"{self.prefix}room:{room_id}:events"

    async def append_events(self, room_id: str, events: list[tuple[int, str, dict]]) -> None:
        """XADD ``[(seq, name, wire payload)]`` (in seq order) to the room's stream in one pipelined
        round trip, with ids ``<seq>-0``, trimming to about :data:`EVENTS_MAXLEN` and refreshing the TTL.

        Idempotent: an event already in the stream (a retry after a failed flush) is skipped.

        Raises:
            redis.RedisError: the connection or the pool failed (nothing is assumed stored).
        """
        if not events:
            return
        key = self.events_key(room_id)
        async with self.r.pipeline(transaction=False) as p:
            for seq, name, wire in events:
                p.xadd(key, {"n": name, "p": json.dumps(wire, ensure_ascii=False)}, id=f"{seq}-0",
                       maxlen=EVENTS_MAXLEN, approximate=True)
            p.expire(key, EVENTS_TTL_S)
            results = await p.execute(raise_on_error=False)
        for res in results:
            # "equal or smaller than the target stream top item": stored by an earlier attempt.
            if isinstance(res, Exception) and not (isinstance(res, ResponseError) and "smaller" in str(res)):
                raise res

    async def events_since(self, room_id: str, last_seq: int, upto_seq: int) -> list[tuple[str, dict]] | None:
        """The room's events with ``last_seq < seq <= upto_seq``, in order, as ``[(name, payload)]``;
        ``None`` when the stream no longer holds all of them (trimmed or expired) or ``last_seq > upto_seq``."""
        if last_seq > upto_seq:
            return None
        if last_seq == upto_seq:
            return []
        rows = await self.r.xrange(self.events_key(room_id), f"{last_seq + 1}-0", f"{upto_seq}-0")
        if [int(eid.split("-", 1)[0]) for eid, _ in rows] != list(range(last_seq + 1, upto_seq + 1)):
            return None
        return [(f["n"], json.loads(f["p"])) for _, f in rows]

    async def drop_events(self, room_id: str) -> None:
        """Delete the room's stream (the room is gone: nobody can rejoin it)."""
        await self.r.delete(self.events_key(room_id))
