"""Redis: leaderboards as sorted sets, room snapshots, and each room's event stream (for replay).

Keys (``P`` = ``ARENA_KEY_PREFIX``, default ``arena:``):

- ``P board:room:<room_id>``: ZSET participant_id -> cumulative score (the room's leaderboard);
- ``P names``: HASH participant_id -> display name (the names a room board was started with);
- ``P room:<room_id>:state``: STRING, the last ``room_state`` snapshot as JSON (1 h TTL);
- ``P room:<room_id>:events``: STREAM, the room's broadcasts for missed-event replay: entry id
  ``<seq>-0``, fields ``n`` (event name) and ``p`` (the wire payload as JSON); at least the last
  :data:`EVENTS_MAXLEN` events (``XADD MAXLEN ~``), expiring :data:`EVENTS_TTL_S` after the room's last
  event, deleted when the room is disposed;
- ``P room:<room_id>:engine``: STRING, the room's engine state tree (``rooms.state.RoomState`` as JSON,
  versioned), written in the same Lua script call as the events of every transition, so the stored state
  and the stream always agree (:data:`ROOM_STATE_TTL_S`);
- ``P rooms:live``: SET of the room ids whose state is stored: what a restarting server restores
  (``server/restore.py``, ``docs/failover.md``).

Every score is applied with ZINCRBY; the room's board is read back with
ZREVRANGE, so the leaderboard is never kept twice.
"""

from __future__ import annotations

import asyncio
import json

import redis.asyncio as aioredis

from .group_commit import GroupCommit

ROOM_BOARD_TTL_S = 24 * 3600
SNAPSHOT_TTL_S = 3600
#: Events a room's stream keeps at least (approximate trimming may keep a few more).
EVENTS_MAXLEN = 1000
#: The stream expires this long (s) after the room's last event: 30 minutes.
EVENTS_TTL_S = 30 * 60
#: A stored room state (and the live set) expires this long (s) after its last write: 24 hours.
ROOM_STATE_TTL_S = 24 * 3600
#: Connections the store opens at most; callers beyond that wait (BlockingConnectionPool).
POOL_SIZE = 64
#: Seconds a caller waits for a free connection before ``redis.ConnectionError``.
POOL_TIMEOUT_S = 5.0

def append_script(fenced: bool = False) -> str:
    """The Lua script that writes a room's event batch and state tree atomically.

    KEYS: events stream, engine state, rooms:live; ARGV: maxlen, events TTL (s), state JSON ('' for
    none), state TTL (s), room id, then (id, name, payload) per event. An event already in the stream
    (an id "equal or smaller than the target stream top item": a retried flush) is skipped. Returns the
    number of events added. ``fenced``: the lease's owner key comes first in KEYS and the node's token
    first in ARGV, and nothing is written (-1) unless the key holds the token (``server/lease.py``).
    """
    head = ("if redis.call('get', KEYS[1]) ~= ARGV[1] then return -1 end\nlocal k, a = 1, 1\n" if fenced
            else "local k, a = 0, 0\n")
    return head + _APPEND_BODY


_APPEND_BODY = """
local n = 0
for i = a + 6, #ARGV, 3 do
  local r = redis.pcall('xadd', KEYS[k + 1], 'MAXLEN', '~', ARGV[a + 1], ARGV[i], 'n', ARGV[i + 1], 'p', ARGV[i + 2])
  if type(r) == 'table' and r.err then
    if not string.find(r.err, 'smaller') then return r end
  else
    n = n + 1
  end
end
if #ARGV >= a + 6 then redis.call('expire', KEYS[k + 1], ARGV[a + 2]) end
if ARGV[a + 3] ~= '' then
  redis.call('set', KEYS[k + 2], ARGV[a + 3], 'EX', ARGV[a + 4])
  redis.call('sadd', KEYS[k + 3], ARGV[a + 5])
  redis.call('expire', KEYS[k + 3], ARGV[a + 4])
end
return n
"""
_APPEND = append_script()


class RedisStore:
    """Async access to the leaderboards and snapshots.

    ``APPEND_SCRIPT``: the Lua script :meth:`append_events` group-commits (a subclass may fence it).

    Args:
        url: ``redis://host:port/db`` or ``unix:///path?db=0``.
        prefix: key prefix.
        pool_size: connections at most (``ARENA_REDIS_POOL``); when all are busy a caller waits up to
            ``pool_timeout`` s for one (then ``redis.ConnectionError``) instead of failing at once
            with ``MaxConnectionsError``.
    """

    APPEND_SCRIPT = _APPEND

    def __init__(self, url: str, prefix: str = "arena:", *, pool_size: int = POOL_SIZE,
                 pool_timeout: float = POOL_TIMEOUT_S) -> None:
        self.url = url
        self.prefix = prefix
        pool = aioredis.BlockingConnectionPool.from_url(url, max_connections=pool_size, timeout=pool_timeout,
                                                        decode_responses=True)
        self.r = aioredis.Redis.from_pool(pool)
        self._appends = GroupCommit(lambda: self.r, self.APPEND_SCRIPT)

    def room_key(self, room_id: str) -> str:
        return f"{self.prefix}board:room:{room_id}"

    async def ping(self) -> bool:
        return bool(await self.r.ping())

    async def close(self) -> None:
        if self._appends._task is not None:      # the last batch of room writes
            await asyncio.wait([self._appends._task], timeout=2)
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

    async def append_events(self, room_id: str, events: list[tuple[int, str, dict]], *,
                            state: str | None = None) -> None:
        """XADD ``[(seq, name, wire payload)]`` (in seq order) to the room's stream, atomically (one Lua
        script), with ids ``<seq>-0``, trimming to about :data:`EVENTS_MAXLEN` and refreshing the TTL;
        with ``state`` (the engine state tree as JSON, taken when those events were drained) the same
        script stores it and lists the room in ``rooms:live``, so a restart never sees a state without
        its events or events without their state.

        The calls of all rooms are group-committed (:class:`server.store.group_commit.GroupCommit`): the
        writes requested while one pipeline is in flight go together in the next, one round trip.

        Idempotent: an event already in the stream (a retry after a failed flush) is skipped.

        Raises:
            redis.RedisError: the connection or the pool failed (nothing is assumed stored).
        """
        if not events and state is None:
            return
        keys, args = await self._append_call(room_id, events, state)
        self._append_result(room_id, await self._appends.call(keys, args))

    async def _append_call(self, room_id: str, events: list[tuple[int, str, dict]],
                           state: str | None) -> tuple[list, list]:
        """``(keys, args)`` of :data:`_APPEND` (subclasses: their own script's)."""
        args: list = [EVENTS_MAXLEN, EVENTS_TTL_S, state if state is not None else "", ROOM_STATE_TTL_S, room_id]
        for seq, name, wire in events:
            args += [f"{seq}-0", name, json.dumps(wire, ensure_ascii=False)]
        return [self.events_key(room_id), self.state_key(room_id), self.live_key], args

    def _append_result(self, room_id: str, result: object) -> None:
        """Check a script's result (subclasses: e.g. a lost lease)."""

    # ------------------------------------------------------------- room states (failover)
    def state_key(self, room_id: str) -> str:
        return f"{self.prefix}room:{room_id}:engine"

    @property
    def live_key(self) -> str:
        return f"{self.prefix}rooms:live"

    async def room_states(self) -> dict[str, str]:
        """Every stored room state: ``{room_id: state JSON}`` (ids listed in ``rooms:live`` whose state
        expired are left out and unlisted)."""
        ids = sorted(await self.r.smembers(self.live_key))
        if not ids:
            return {}
        texts = await self.r.mget([self.state_key(i) for i in ids])
        gone = [i for i, t in zip(ids, texts) if t is None]
        if gone:
            await self.r.srem(self.live_key, *gone)
        return {i: t for i, t in zip(ids, texts) if t is not None}

    async def forget_room(self, room_id: str) -> None:
        """Delete the room's stored state (the room was disposed: nothing to restore)."""
        async with self.r.pipeline(transaction=True) as p:
            p.delete(self.state_key(room_id))
            p.srem(self.live_key, room_id)
            await p.execute()

    async def last_event_seq(self, room_id: str) -> int:
        """The seq of the newest event in the room's stream, 0 when it is empty or gone."""
        rows = await self.r.xrevrange(self.events_key(room_id), count=1)
        return int(rows[0][0].split("-", 1)[0]) if rows else 0

    async def set_room_board(self, room_id: str, scores: dict[str, float]) -> None:
        """Overwrite the room board with ``scores`` (participant id -> total), e.g. from a restored
        room's own answers."""
        if not scores:
            return
        async with self.r.pipeline(transaction=True) as p:
            p.zadd(self.room_key(room_id), scores)
            p.expire(self.room_key(room_id), ROOM_BOARD_TTL_S)
            await p.execute()

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
