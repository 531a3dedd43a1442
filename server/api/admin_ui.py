"""The Socket.IO Admin UI, served locally behind the admin credential (``docs/operators.md``).

The files are the npm package ``@socket.io/admin-ui``'s ``ui/dist`` (and npm ``@mdi/font``'s icon
font), copied into ``<web dist>/admin-ui/`` by ``clients/web/scripts/copy-admin-ui.mjs`` during
``make web``; every one of them is local (the copy points the UI's CDN links at the local font).
"""

from __future__ import annotations

import os

from aiohttp import web

from .. import schemas
from ..admin_auth import AdminCredential, unauthorized

#: ``instrument()``'s reporting mode: ``production`` (default: connections, packet and byte counts) or
#: ``development`` (every event and room change too; costs per emitted event).
MODES = ("production", "development")


def setup_admin_ui(app: web.Application, cred: AdminCredential, server_id: str) -> None:
    """Instrument ``app["sio"]`` (namespace ``/admin``, login checked by ``cred``) and serve the UI at
    ``/admin/socketio/``. Raises ``ValueError`` for an ``ARENA_ADMIN_UI_MODE`` other than :data:`MODES`."""
    mode = os.environ.get("ARENA_ADMIN_UI_MODE", "production").strip().lower()
    if mode not in MODES:
        raise ValueError(f"ARENA_ADMIN_UI_MODE must be one of {', '.join(MODES)}, not {mode!r}")
    app["admin_instrumentation"] = app["sio"].instrument(auth=cred.check_socket_auth, mode=mode,
                                                         server_id=server_id)
    root = (app["cfg"].web_dist / "admin-ui").resolve()

    async def stop_stats(app: web.Application) -> None:
        # its server_stats task (started at the first connection) sleeps 2 s between rounds: cancel it
        # rather than wait (shutdown() would), so a clean stop hands rooms over without delay
        task = app["admin_instrumentation"].stats_task
        if task is not None:
            task.cancel()

    app.on_cleanup.append(stop_stats)

    async def redirect(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound("/admin/socketio/")

    async def ui(request: web.Request) -> web.StreamResponse:
        if not cred.check_header(request.headers.get("Authorization")):
            return unauthorized()
        name = request.match_info["name"] or "index.html"
        path = (root / name).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            return web.json_response(schemas.error_ack("not_found", "no such file (is the web client built? "
                                                                    "make web)"), status=404)
        return web.FileResponse(path, headers={"Cache-Control": "no-store" if name == "index.html" else "private"})

    app.router.add_get("/admin/socketio", redirect)
    app.router.add_get("/admin/socketio/{name:.*}", ui)
