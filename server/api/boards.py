"""The boards, from the finished matches in PostgreSQL (public, no token needed).

- ``GET /api/v1/boards`` → ``{"humans": {"week": [...], "all": [...]}, "ai": [...], "week_start"}``:
  humans ranked per account (one entry each, the name of their latest match; the sum of their match
  totals this ISO week, from Monday 00:00 UTC, and of all time), AI candidates on their own board
  (one entry per persona and skill, ranked by mean answer score);
- ``GET /api/v1/leaderboard`` → ``{"entries": humans all time}`` (the older route, same entries).

``?limit=`` 1-200 (default 20). Boards are cached for :data:`CACHE_S` seconds per limit.
"""

from __future__ import annotations

import time

from aiohttp import web

from ..store.history import MAX_LIMIT, week_start
from .registry import registry_of
from .docs import BoardOut
from .common import err, int_query

CACHE_S = 5.0


def setup(app: web.Application) -> None:
    """Register the board routes (needs ``app["history"]``)."""
    cache: dict[int, tuple[float, dict]] = {}

    async def compute(limit: int) -> dict:
        hit = cache.get(limit)
        if hit and time.monotonic() - hit[0] < CACHE_S:
            return hit[1]
        h, ws = app["history"], week_start()
        names = app.get("persona_names") or {}
        ai = await h.ai_board(None, limit)
        for e in ai:
            e["company"] = names.get(e["persona_id"], {}).get("company")
        out = {"humans": {"week": await h.human_board(ws, limit), "all": await h.human_board(None, limit)},
               "ai": ai, "week_start": ws.isoformat()}
        cache[limit] = (time.monotonic(), out)
        if len(cache) > 32:
            cache.clear()
        return out

    def _limit(request: web.Request) -> int:
        return int_query(request, "limit", 20, 1, MAX_LIMIT)

    async def boards(request: web.Request) -> web.Response:
        try:
            return web.json_response(await compute(_limit(request)))
        except ValueError:
            return err(400, "bad_request", "limit is an integer")

    async def leaderboard(request: web.Request) -> web.Response:
        try:
            return web.json_response({"entries": (await compute(_limit(request)))["humans"]["all"]})
        except ValueError:
            return err(400, "bad_request", "limit is an integer")

    api = registry_of(app)
    api.add("GET", "/api/v1/boards", boards, "Boards: humans per account (week, all time) and AI candidates",
            tags=["boards"], query={"limit": "1-100"})
    api.add("GET", "/api/v1/leaderboard", leaderboard, "Humans, all time (as boards.humans.all)", tags=["boards"],
            response=BoardOut, query={"limit": "1-100"})
