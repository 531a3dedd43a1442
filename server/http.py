"""REST routes (aiohttp): auth, personas, config, health, metrics, reports, and the web client.

Every error is a JSON body ``{"ok": false, "error": {code, message}}`` (:func:`json_errors`); bodies
are at most ``wire.MAX_HTTP_BODY_BYTES`` and JSON at most ``wire.MAX_JSON_DEPTH`` deep.
"""

from __future__ import annotations

from aiohttp import web
from pydantic import ValidationError

from . import schemas, wire
from .auth import issue_guest_token
from .config import PROTOCOL_VERSION, Config
from .logs import log

#: Codes for the errors aiohttp raises itself (unknown route, wrong method, body too large, ...).
HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}


def _err(status: int, code: str, message: str) -> web.Response:
    return web.json_response(schemas.error_ack(code, message), status=status)


@web.middleware
async def json_errors(request: web.Request, handler) -> web.StreamResponse:
    """Turn aiohttp's HTTP errors (404, 405, 413, ...) into JSON error bodies; an unexpected exception
    is logged and answered ``500 internal_error`` in JSON (no input should get there)."""
    try:
        return await handler(request)
    except web.HTTPException as e:
        if e.status < 400:
            raise
        return _err(e.status, HTTP_CODES.get(e.status, "http_error"), e.reason)
    except Exception:
        log.exception("http_handler_failed", path=request.path[:200])
        return _err(500, "internal_error", "the server hit an error")


def setup_routes(app: web.Application, cfg: Config) -> None:
    """Register every HTTP route of protocol.md on ``app``."""
    r = app.router

    async def guest(request: web.Request) -> web.Response:
        try:
            body = schemas.GuestAuthIn.model_validate(wire.loads(await request.read()))
        except ValidationError as e:
            err = e.errors()[0]
            loc = ".".join(str(x) for x in err.get("loc", ())) or "body"
            return _err(400, "bad_request", f"{loc}: {err['msg']}")
        except ValueError as e:           # not JSON, not UTF-8, or too deep
            return _err(400, "bad_request", (str(e).splitlines() or ["not JSON"])[0][:200])
        token, user_id = issue_guest_token(cfg.jwt_secret, body.display_name.strip() or "Guest")
        return web.json_response({"token": token, "user_id": user_id})

    async def personas(request: web.Request) -> web.Response:
        from personas.catalog import public_catalog

        lang = request.query.get("lang", "ko")
        return web.json_response(public_catalog(lang if lang in ("ko", "en") else "ko"))

    async def config(request: web.Request) -> web.Response:
        return web.json_response({"protocol_version": PROTOCOL_VERSION, "serializer": cfg.serializer,
                                  "tick_hz": cfg.tick_hz})

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def readyz(request: web.Request) -> web.Response:
        checks = {}
        try:
            checks["redis"] = await app["redis"].ping()
        except Exception as e:          # report, don't raise: this is a probe
            checks["redis"] = False
            checks["redis_error"] = str(e)[:200]
        try:
            checks["postgres"] = await app["results"].ping()
        except Exception as e:
            checks["postgres"] = False
            checks["postgres_error"] = str(e)[:200]
        ok = checks["redis"] is True and checks["postgres"] is True
        return web.json_response({"ok": ok, **checks}, status=200 if ok else 503)


    async def rooms(request: web.Request) -> web.Response:
        return web.json_response({"rooms": app["manager"].public_rooms()})

    r.add_post("/api/v1/auth/guest", guest)
    r.add_get("/api/v1/personas", personas)
    r.add_get("/api/v1/config", config)
    r.add_get("/api/v1/rooms", rooms)
    r.add_get("/healthz", healthz)
    r.add_get("/readyz", readyz)
    from .api import admin
    admin.setup(app)          # /metrics (with a process label), /api/v1/admin/*, the Socket.IO Admin UI
    from .api import setup_api
    setup_api(app)            # accounts, cohorts, /api/openapi.json, /api/docs
    from .api import boards, history, reports          # private reports, history, boards (issue 12)
    for topic in (reports, history, boards):
        topic.setup(app)

    dist = cfg.web_dist
    index = dist / "index.html"

    async def web_index(request: web.Request) -> web.StreamResponse:
        if index.is_file():
            return web.FileResponse(index)
        return web.Response(text=PLACEHOLDER, content_type="text/html")

    r.add_get("/", web_index)
    assets = (dist / "assets").resolve()

    async def web_asset(request: web.Request) -> web.StreamResponse:
        # Not add_static: its 404 for a missing file is an empty octet-stream, after the middleware.
        path = (assets / request.match_info["name"]).resolve()
        if not path.is_relative_to(assets) or not path.is_file():
            return _err(404, "not_found", "no such file")
        return web.FileResponse(path)

    r.add_get("/assets/{name:.+}", web_asset)


PLACEHOLDER = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Interview Arena</title></head>
<body style="font-family:system-ui;max-width:40rem;margin:4rem auto">
<h1>Interview Arena</h1><p>The server is running. The web client is not built yet:
run <code>make run</code> (it builds <code>clients/web</code>) or use <code>arena demo</code>.</p>
<p>API: <a href="/api/v1/personas">/api/v1/personas</a> · <a href="/api/v1/config">/api/v1/config</a> ·
<a href="/metrics">/metrics</a> · <a href="/readyz">/readyz</a></p></body></html>"""
