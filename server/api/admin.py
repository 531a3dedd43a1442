"""Operator endpoints: ``/metrics`` with a process label, and the rooms of every game process.

- ``GET /metrics``: Prometheus text; every sample carries ``process="<node id>"`` (the cluster node
  id, ``ARENA_NODE_ID``, else ``<hostname>-<pid>``), so the series of several game processes
  scraped into one Prometheus stay apart.
- ``GET /api/v1/admin/rooms`` (``Authorization: Bearer $ARENA_ADMIN_TOKEN``): every stored room in
  Redis (``rooms:live``), whichever process runs it: ``{"rooms": [{room_id, owner, lease_token,
  title, phase, private, players: [{participant_id, display_name, kind, presence, is_host}],
  spectators}], "nodes": [node id, ...]}``. ``owner`` is the node id holding the room's lease
  (``docs/cluster.md``; ``null``: nobody, e.g. a takeover under way), or in one-process mode this
  process's id when it runs the room. Phase and players are the room's operator snapshot
  (``room:<id>:state``), as of its last phase or seat change. Errors: ``404 admin_disabled`` when
  ``ARENA_ADMIN_TOKEN`` is unset, ``401 unauthorized`` for a missing or wrong token.
"""

from __future__ import annotations

import hmac
import json
import os
import re

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from .. import schemas

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
        text = with_label(generate_latest().decode(), "process", process_id(app))
        return web.Response(body=text.encode(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def rooms(request: web.Request) -> web.Response:
        if (err := _admin_error(request)) is not None:
            return err
        store, manager = app["redis"], app["manager"]
        ids = sorted(await store.r.smembers(store.live_key))
        me = process_id(app)
        owners = await store.r.mget([f"{store.prefix}room:{i}:owner" for i in ids]) if ids else []
        snaps = await store.r.mget([f"{store.prefix}room:{i}:state" for i in ids]) if ids else []
        out = []
        for room_id, token, snap in zip(ids, owners, snaps):
            s = json.loads(snap) if snap else {}
            owner = token.rsplit(":", 1)[0] if token else (me if room_id in manager.hosts else None)
            out.append({"room_id": room_id, "owner": owner, "lease_token": token, "title": s.get("title"),
                        "phase": s.get("phase"), "private": (s.get("settings") or {}).get("private"),
                        "players": [{k: p.get(k) for k in ("participant_id", "display_name", "kind", "presence",
                                                           "is_host")} for p in s.get("participants", [])],
                        "spectators": s.get("spectators", 0)})
        cluster = app.get("cluster")
        nodes = await cluster.live_nodes() if cluster is not None else [me]
        return web.json_response({"rooms": out, "nodes": sorted(nodes)})

    app.router.add_get("/metrics", metrics)
    app.router.add_get("/api/v1/admin/rooms", rooms)
