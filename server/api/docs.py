"""The API reference: ``/api/openapi.json`` (OpenAPI 3.1 from the route registry) and Swagger UI at
``/api/docs``, served offline from ``<web dist>/swagger/`` (copied from the npm package
``swagger-ui-dist`` by ``clients/web/scripts/copy-swagger.mjs`` during ``make web``).

Also documents the routes that ``server/http.py`` registers itself (``describe``).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel, RootModel

from .. import schemas
from .common import ApiError, catching
from .registry import registry_of

SWAGGER_FILES = {"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "favicon-32x32.png"}

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Interview Arena API</title>
<link rel="stylesheet" href="/api/docs/swagger-ui.css"><link rel="icon" href="/api/docs/favicon-32x32.png"></head>
<body><div id="swagger-ui"></div><script src="/api/docs/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({url: "/api/openapi.json", dom_id: "#swagger-ui", deepLinking: true});</script>
</body></html>"""

MISSING = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Interview Arena API</title></head>
<body style="font-family:system-ui;max-width:40rem;margin:4rem auto"><h1>Interview Arena API</h1>
<p>Swagger UI is not built yet: run <code>make web</code>. The document itself is at
<a href="/api/openapi.json">/api/openapi.json</a>.</p></body></html>"""


class PersonaListOut(RootModel[list[schemas.PersonaOut]]):
    """``GET /api/v1/personas``."""


class RoomsOut(BaseModel):
    """``GET /api/v1/rooms``: the public rooms of the lobby."""
    rooms: list[dict[str, Any]]


class BoardOut(BaseModel):
    """``GET /api/v1/leaderboard``."""
    entries: list[dict[str, Any]]


class ReportOut(BaseModel):
    """``GET /api/v1/rooms/{room_id}/report``: the stored match (``ResultStore.report``)."""
    room_id: str
    title: str
    language: str
    participants: list[dict[str, Any]]
    ranking: list[dict[str, Any]]
    questions: list[dict[str, Any]]


def setup(app: web.Application) -> None:
    """Register ``/api/openapi.json`` and ``/api/docs``; document the ``server/http.py`` routes."""
    api = registry_of(app)
    swagger = app["cfg"].web_dist / "swagger"

    api.describe("POST", "/api/v1/auth/guest", "Play as a guest: a 7-day token, no password", tags=["accounts"],
                 request=schemas.GuestAuthIn, response=schemas.GuestAuthOut)
    api.describe("GET", "/api/v1/personas", "The AI candidates", tags=["game"], response=PersonaListOut,
                 query={"lang": "ko (default) or en"})
    api.describe("GET", "/api/v1/config", "Protocol version, serializer and tick rate", tags=["game"],
                 response=schemas.ConfigOut)
    api.describe("GET", "/api/v1/rooms", "Public rooms (the lobby)", tags=["game"], response=RoomsOut)

    async def openapi(request: web.Request) -> web.Response:
        return web.json_response(registry_of(request.app).openapi())

    async def page(request: web.Request) -> web.Response:
        built = (swagger / "swagger-ui-bundle.js").is_file()
        return web.Response(text=PAGE if built else MISSING, content_type="text/html")

    async def asset(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in SWAGGER_FILES or not (swagger / name).is_file():
            raise ApiError(404, "not_found", "no such file")
        return web.FileResponse(swagger / name)

    api.add("GET", "/api/openapi.json", openapi, "This document (OpenAPI 3.1)", tags=["reference"])
    api.add("GET", "/api/docs", page, "Swagger UI for this document", tags=["reference"], media_type="text/html")
    app.router.add_get("/api/docs/{name}", catching(asset))
