"""Operator endpoints: ``/metrics`` (a process label in cluster mode), the rooms of every game process, the Admin UI.

- ``GET /metrics``: Prometheus text; in cluster mode every sample carries ``process="<node id>"``
  (``ARENA_NODE_ID``, default ``<hostname>-<pid>``), so the series of several game processes scraped
  into one Prometheus stay apart (one process: the plain series, as before).
- ``GET /api/v1/admin/rooms`` (``Authorization: Bearer $ARENA_ADMIN_TOKEN``): every stored room in
  Redis (``rooms:live``), whichever process runs it: ``{"rooms": [{room_id, owner, lease_token,
  title, phase, private, seq, players: [{participant_id, display_name, kind, presence, is_host}],
  spectators (a count)}], "nodes": [node id, ...]}``. ``owner`` is the node id holding the room's lease
  (``docs/cluster.md``; ``null``: nobody, e.g. a takeover under way), or in one-process mode this
  process's id when it runs the room. Phase and players come from the room's stored state tree
  (``room:<id>:engine``, written at every transition). Errors: ``404 admin_disabled`` when
  ``ARENA_ADMIN_TOKEN`` is unset, ``401 unauthorized`` for a missing or wrong token.
- ``GET /admin/socketio/``: the Socket.IO Admin UI (the npm package ``@socket.io/admin-ui``'s
  ``ui/dist``, from ``clients/web/node_modules``, ``ARENA_ADMIN_UI_DIST``), served locally behind
  HTTP Basic auth (user ``admin``, password ``$ARENA_ADMIN_TOKEN``; a Bearer token works too), with
  its links to web fonts on CDNs removed. The server is instrumented with python-socketio's
  ``instrument()`` (namespace ``/admin``, ``production`` mode, server id = the process id) and the
  UI logs in with the same credential. On only with ``ARENA_ADMIN_TOKEN`` (``ARENA_ADMIN_UI=0``
  turns the UI and the instrumentation off).
"""

from __future__ import annotations

import base64
import hmac
import json
import os
import re
from pathlib import Path

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from .. import schemas
from ..config import ROOT

#: The Admin UI's built files (npm ``@socket.io/admin-ui``, installed by ``make web``).
ADMIN_UI_DIST = Path(os.environ.get("ARENA_ADMIN_UI_DIST")
                     or ROOT / "clients" / "web" / "node_modules" / "@socket.io" / "admin-ui" / "ui" / "dist")
_CDN_LINK = re.compile(r'<link rel="stylesheet" href="https://[^"]*">')

_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*?\})?( .*)$")


def process_id(app: web.Application) -> str:
    """This process's id: the cluster node id, else ``<hostname>-<pid>``."""
    from ..cluster import default_node_id

    return app["cfg"].node_id or default_node_id()


def with_label(text: str, name: str, value: str) -> str:
    """Prometheus text exposition ``text`` with the label ``name="value"`` added (last) to every sample."""
    value = value.replace("\\", r"\\").replace('"', r"\"")
    out = []
    for line in text.splitlines():
        m = None if line.startswith("#") else _SAMPLE.match(line)
        if m is None:
            out.append(line)
            continue
        labels = m.group(2)
        inner = (labels[1:-1] + "," if labels and labels != "{}" else "") + f'{name}="{value}"'
        out.append(f"{m.group(1)}{{{inner}}}{m.group(3)}")
    return "\n".join(out) + "\n"


def _admin_error(request: web.Request) -> web.Response | None:
    token = os.environ.get("ARENA_ADMIN_TOKEN", "")
    if not token:
        return web.json_response(schemas.error_ack("admin_disabled", "set ARENA_ADMIN_TOKEN to use the admin API"),
                                 status=404)
    given = request.headers.get("Authorization", "")
    if not given.startswith("Bearer ") or not hmac.compare_digest(given[7:].encode(), token.encode()):
        return web.json_response(schemas.error_ack("unauthorized", "a valid admin token is required"), status=401)
    return None


def setup(app: web.Application) -> None:
    """Register ``/metrics`` and ``/api/v1/admin/rooms`` on ``app``."""

    async def metrics(request: web.Request) -> web.Response:
        body = generate_latest()
        if app["cfg"].node_id:                    # cluster mode only: one process keeps the plain series
            body = with_label(body.decode(), "process", app["cfg"].node_id).encode()
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def rooms(request: web.Request) -> web.Response:
        if (err := _admin_error(request)) is not None:
            return err
        store, manager = app["redis"], app["manager"]
        ids = sorted(await store.r.smembers(store.live_key))
        me = process_id(app)
        owners = await store.r.mget([f"{store.prefix}room:{i}:owner" for i in ids]) if ids else []
        trees = await store.r.mget([store.state_key(i) for i in ids]) if ids else []
        out = []
        for room_id, token, tree in zip(ids, owners, trees):
            try:
                t = json.loads(tree) if tree else {}
            except ValueError:
                t = {}
            owner = token.rsplit(":", 1)[0] if token else (me if room_id in manager.hosts else None)
            settings = t.get("settings") or {}
            out.append({"room_id": room_id, "owner": owner, "lease_token": token, "title": settings.get("title"),
                        "phase": t.get("phase"), "private": settings.get("private"), "seq": t.get("seq"),
                        "players": [{k: p.get(k) for k in ("participant_id", "display_name", "kind", "presence",
                                                           "is_host")} for p in t.get("participants", [])],
                        "spectators": len(t.get("spectators", []))})
        cluster = app.get("cluster")
        nodes = await cluster.live_nodes() if cluster is not None else [me]
        return web.json_response({"rooms": out, "nodes": sorted(nodes)})

    app.router.add_get("/metrics", metrics)
    app.router.add_get("/api/v1/admin/rooms", rooms)
    token = os.environ.get("ARENA_ADMIN_TOKEN", "")
    if token and os.environ.get("ARENA_ADMIN_UI", "1") != "0":
        _setup_admin_ui(app, token)


def _basic_ok(request: web.Request, token: str) -> bool:
    given = request.headers.get("Authorization", "")
    if given.startswith("Bearer "):
        return hmac.compare_digest(given[7:].encode(), token.encode())
    if given.startswith("Basic "):
        try:
            user, _, pw = base64.b64decode(given[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return user == "admin" and hmac.compare_digest(pw.encode(), token.encode())
    return False


def _setup_admin_ui(app: web.Application, token: str) -> None:
    """Instrument the Socket.IO server and serve the Admin UI at ``/admin/socketio/``."""
    app["sio"].instrument(auth={"username": "admin", "password": token}, mode="production",
                          server_id=process_id(app))
    root = ADMIN_UI_DIST.resolve()

    async def redirect(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound("/admin/socketio/")

    async def ui(request: web.Request) -> web.StreamResponse:
        if not _basic_ok(request, token):
            return web.json_response(schemas.error_ack("unauthorized", "the admin credential is required"),
                                     status=401, headers={"WWW-Authenticate": 'Basic realm="arena admin"'})
        name = request.match_info["name"] or "index.html"
        path = (root / name).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            return web.json_response(schemas.error_ack("not_found", "no such file (is the web client installed? "
                                                                    "make web)"), status=404)
        if name == "index.html":                  # local files only: drop the CDN font links
            return web.Response(text=_CDN_LINK.sub("", path.read_text()), content_type="text/html")
        return web.FileResponse(path)

    app.router.add_get("/admin/socketio", redirect)
    app.router.add_get("/admin/socketio/{name:.*}", ui)
