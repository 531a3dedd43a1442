"""Redis: leaderboards as sorted sets, and room snapshots.

Keys (``P`` = ``ARENA_KEY_PREFIX``, default ``arena:``):

- ``P board:room:<room_id>``: ZSET participant_id -> cumulative score (the room's leaderboard);
- ``P board:global``: ZSET participant_id -> all-time score (humans and ``ai:<persona>``);
- ``P names``: HASH participant_id -> display name (for the global board);
- ``P room:<room_id>:state``: STRING, the last ``room_state`` snapshot as JSON (1 h TTL).

Every score is applied with ZINCRBY; the room's board is read back with
ZREVRANGE, so the leaderboard is never kept twice.
"""

from __future__ import annotations

import json

import redis.asyncio as aioredis

ROOM_BOARD_TTL_S = 24 * 3600
SNAPSHOT_TTL_S = 3600


class RedisStore:
    """Async access to the leaderboards and snapshots.

    Args:
        url: ``redis://host:port/db`` or ``unix:///path?db=0``.
        prefix: key prefix.
    """

    def __init__(self, url: str, prefix: str = "arena:") -> None:
        self.url = url
        self.prefix = prefix
        self.r = aioredis.from_url(url, decode_responses=True)

    def room_key(self, room_id: str) -> str:
        return f"{self.prefix}board:room:{room_id}"

    @property
    def global_key(self) -> str:
        return f"{self.prefix}board:global"

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
        """ZINCRBY the room board and the global board by ``score`` (0-100)."""
        async with self.r.pipeline(transaction=True) as p:
            p.zincrby(self.room_key(room_id), score, participant_id)
            p.zincrby(self.global_key, score, participant_id)
            await p.execute()

    async def room_board(self, room_id: str) -> list[tuple[str, float]]:
        """The room's board, best first: ``[(participant_id, score)]`` (ZREVRANGE WITHSCORES)."""
        return [(m, s) for m, s in await self.r.zrevrange(self.room_key(room_id), 0, -1, withscores=True)]

    async def global_board(self, limit: int = 50) -> list[dict]:
        """Top of the global board: ``[{participant_id, display_name, score}]``."""
        rows = await self.r.zrevrange(self.global_key, 0, limit - 1, withscores=True)
        names = await self.r.hmget(f"{self.prefix}names", [m for m, _ in rows]) if rows else []
        return [{"participant_id": m, "display_name": n or m, "score": s} for (m, s), n in zip(rows, names)]

    async def save_snapshot(self, room_id: str, snapshot: dict) -> None:
        await self.r.set(f"{self.prefix}room:{room_id}:state", json.dumps(snapshot, ensure_ascii=False),
                         ex=SNAPSHOT_TTL_S)

    async def load_snapshot(self, room_id: str) -> dict | None:
        raw = await self.r.get(f"{self.prefix}room:{room_id}:state")
        return json.loads(raw) if raw else None
