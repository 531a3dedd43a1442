"""A user's own history: ``GET /api/v1/me/matches`` and ``GET /api/v1/me/progress`` (bearer token).

- ``/me/matches?limit=50&offset=0`` → ``{matches: [{room_id, title, language, end_reason, started_at,
  finished_at, score, rank, players, questions, mean_score}]}``, newest first (limit 1-200);
- ``/me/progress`` → :meth:`server.store.history.HistoryStore.progress`.

No token or a bad one → ``401 unauthorized``; a bad ``limit``/``offset`` → ``400 bad_request``.
"""

from __future__ import annotations

from aiohttp import web

from ..store.history import MAX_LIMIT
from .registry import registry_of
from .common import err, int_query, unauthorized, user_id


def setup(app: web.Application) -> None:
    """Register the ``/api/v1/me/*`` history routes (needs ``app["history"]``)."""

    async def matches(request: web.Request) -> web.Response:
        uid = await user_id(request)
        if uid is None:
            return unauthorized()
        try:
            limit = int_query(request, "limit", 50, 1, MAX_LIMIT)
            offset = int_query(request, "offset", 0, 0, 1_000_000)
        except ValueError:
            return err(400, "bad_request", "limit and offset are integers")
        return web.json_response({"matches": await app["history"].matches_of(uid, limit, offset)})

    async def progress(request: web.Request) -> web.Response:
        uid = await user_id(request)
        if uid is None:
            return unauthorized()
        return web.json_response(await app["history"].progress(uid))

    api = registry_of(app)
    api.add("GET", "/api/v1/me/matches", matches, "My finished matches", tags=["history"], auth=True,
            query={"limit": "1-200 (default 50)", "offset": "default 0"}, errors={401: "unauthorized"})
    api.add("GET", "/api/v1/me/progress", progress, "My scores by dimension and category over time",
            tags=["history"], auth=True, errors={401: "unauthorized"})
