"""Operator endpoints: ``/metrics`` (a process label in cluster mode), the rooms of every game process,
and the Socket.IO Admin UI (``docs/operators.md``).

- ``GET /metrics``: Prometheus text; in cluster mode every sample carries ``process="<node id>"``
  (``ARENA_NODE_ID``, default ``<hostname>-<pid>``), so the series of several game processes scraped
  into one Prometheus stay apart (one process: the plain series). Not behind the credential.
- ``GET /api/v1/admin/rooms``: every stored room in Redis (``rooms:live``), whichever process runs
  it: :class:`AdminRoomsOut`. Phase and players come from the room's stored state tree
  (``room:<id>:engine``, written at every transition), the owner from :func:`room_owner`.
- ``GET /admin/socketio/``: the Socket.IO Admin UI (npm ``@socket.io/admin-ui``'s ``ui/dist`` with the
  icon font of npm ``@mdi/font``, copied into ``<web dist>/admin-ui/`` by
  ``clients/web/scripts/copy-admin-ui.mjs`` during ``make web``), served locally. The Socket.IO server
  is instrumented with python-socketio's ``instrument()`` (namespace ``/admin``, ``production`` mode
  unless ``ARENA_ADMIN_UI_MODE=development``, server id = the process id); the UI logs in with the
  same user name and password. ``ARENA_ADMIN_UI=0`` turns the UI and the instrumentation off.

All but ``/metrics`` need the admin credential (:mod:`server.admin_auth`): ``401 unauthorized`` (with a
``WWW-Authenticate: Basic`` challenge) without it or with a wrong one; with no credential configured
the admin API answers ``404 admin_disabled``, the UI's routes do not exist (``404 not_found``) and the
server is not instrumented (nothing of python-socketio is patched, so it costs nothing).
"""

from __future__ import annotations

import copy
import json
import os

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from pydantic import BaseModel

from .. import schemas
from ..admin_auth import AdminCredential, admin_credential, unauthorized
from ..lease import node_of
from .registry import registry_of

class AdminPlayerOut(BaseModel):
    participant_id: str | None = None
    display_name: str | None = None
    kind: str | None = None          # human | ai
    presence: str | None = None      # online | away | left
    is_host: bool | None = None


class AdminRoomOut(BaseModel):
    room_id: str
    #: the process id that runs the room (its lease's holder); None: nobody (a takeover under way)
    owner: str | None = None
    lease_token: str | None = None   # "<process id>:<epoch>" in cluster mode
    title: str | None = None
    phase: str | None = None         # lobby | countdown | question | answering | scoring | reveal | finished
    private: bool | None = None
    seq: int | None = None
    players: list[AdminPlayerOut]
    spectators: int = 0


class AdminRoomsOut(BaseModel):
    """``GET /api/v1/admin/rooms``: every stored room, and the game processes alive."""
    rooms: list[AdminRoomOut]
    nodes: list[str]


def process_id(app: web.Application) -> str:
    """This process's id: the cluster node id, else ``<hostname>-<pid>``."""
    from ..cluster import default_node_id

    return app["cfg"].node_id or default_node_id()


def room_owner(lease_token: str | None, room_id: str, app: web.Application) -> str | None:
    """The process that owns ``room_id``: the holder of its lease (``room:<id>:owner``), else, with no
    lease (one-process mode), this process if it runs the room; None when nobody does."""
    if lease_token:
        return node_of(lease_token)
    return process_id(app) if room_id in app["manager"].hosts else None


class _Labelled:
    """A collector that yields ``registry``'s metrics with ``name="value"`` added to every sample, so
    prometheus-client itself writes (and escapes) the exposition."""

    def __init__(self, registry, name: str, value: str) -> None:
        self.registry, self.name, self.value = registry, name, value

    def collect(self):
        for family in self.registry.collect():
            out = copy.copy(family)              # the registry's own objects stay as they are
            out.samples = [s._replace(labels={**s.labels, self.name: self.value}) for s in family.samples]
            yield out


def exposition(process: str, registry=REGISTRY) -> bytes:
    """Prometheus text exposition of ``registry`` with ``process="<process>"`` on every sample."""
    return generate_latest(_Labelled(registry, "process", process))


def _admin_error(request: web.Request, cred: AdminCredential | None) -> web.Response | None:
    if cred is None:
        return web.json_response(schemas.error_ack(
            "admin_disabled", "set ARENA_ADMIN_PASSWORD or ARENA_ADMIN_TOKEN to use the admin API"), status=404)
    if not cred.check_header(request.headers.get("Authorization")):
        return unauthorized()
    return None


async def list_rooms(app: web.Application) -> dict:
    """The body of ``GET /api/v1/admin/rooms`` (:class:`AdminRoomsOut` as a dict)."""
    store = app["redis"]
    ids = sorted(await store.r.smembers(store.live_key))
    owners = await store.r.mget([f"{store.prefix}room:{i}:owner" for i in ids]) if ids else []
    trees = await store.r.mget([store.state_key(i) for i in ids]) if ids else []
    out = []
    for room_id, token, tree in zip(ids, owners, trees):
        try:
            t = json.loads(tree) if tree else {}
        except ValueError:
            t = {}
        settings = t.get("settings") or {}
        out.append({"room_id": room_id, "owner": room_owner(token, room_id, app), "lease_token": token,
                    "title": settings.get("title"), "phase": t.get("phase"), "private": settings.get("private"),
                    "seq": t.get("seq"),
                    "players": [{k: p.get(k) for k in AdminPlayerOut.model_fields} for p in t.get("participants", [])],
                    "spectators": len(t.get("spectators", []))})
    cluster = app.get("cluster")
    nodes = await cluster.live_nodes() if cluster is not None else [process_id(app)]
    return {"rooms": out, "nodes": sorted(nodes)}


def setup(app: web.Application) -> None:
    """Register ``/metrics``, ``/api/v1/admin/rooms`` and (with a credential) the Admin UI on ``app``."""
    cred = admin_credential()

    async def metrics(request: web.Request) -> web.Response:
        # cluster mode only: one process keeps the plain series (loadtest/run.py and existing scrapers read them)
        body = exposition(app["cfg"].node_id) if app["cfg"].node_id else generate_latest()
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def rooms(request: web.Request) -> web.Response:
        if (err := _admin_error(request, cred)) is not None:
            return err
        return web.json_response(await list_rooms(app))

    app.router.add_get("/metrics", metrics)
    api = registry_of(app)
    api.add("GET", "/api/v1/admin/rooms", rooms, "Every live room of every game process: owner, phase, players",
            tags=["admin"], response=AdminRoomsOut, auth=True, errors={404: "admin_disabled"},
            description="Admin credential: `Authorization: Bearer $ARENA_ADMIN_TOKEN`, or HTTP Basic "
                        "`$ARENA_ADMIN_USER:$ARENA_ADMIN_PASSWORD` (docs/operators.md).")
    api.describe("GET", "/metrics", "Prometheus metrics of this process (cluster mode: every sample labelled process=...)",
                 tags=["admin"], media_type=CONTENT_TYPE_LATEST)
    if cred is not None and os.environ.get("ARENA_ADMIN_UI", "1") != "0":
        from .admin_ui import setup_admin_ui

        setup_admin_ui(app, cred, process_id(app))
