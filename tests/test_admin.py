"""Operator tools behind ``ARENA_ADMIN_TOKEN`` (``server/api/admin.py``), on a real server: the
admin room list, ``/metrics`` (one process: no process label; ``test_cluster.py`` checks the
label), and the Socket.IO Admin UI (files of the npm
package ``@socket.io/admin-ui`` served locally, python-socketio's ``instrument()``)."""

from __future__ import annotations

import asyncio
import base64
import os
import subprocess
import sys
import uuid

import aiohttp
import pytest
import redis
import socketio

from server.config import ROOT
from tests.conftest import DATABASE_URL, REDIS_URL, free_port
from server.cluster_run import wait_healthy
from tests.test_failover import ROOM, SECRET, login

TOKEN = "admin-test-token-0123456789"
#: the Admin UI as `make web` copies it (clients/web/scripts/copy-admin-ui.mjs)
ADMIN_UI_DIST = ROOT / "clients" / "web" / "dist" / "admin-ui"


@pytest.fixture(scope="module")
def admin_server():
    """``arena serve`` in a subprocess: ``instrument()`` patches Engine.IO's socket class for the
    whole process, so an instrumented server must not share the test process with others."""
    prefix, port = f"test:{uuid.uuid4().hex[:8]}:", free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "REDIS_URL": REDIS_URL, "DATABASE_URL": DATABASE_URL, "ARENA_KEY_PREFIX": prefix,
           "ARENA_JWT_SECRET": SECRET, "ARENA_MEDIA": "0", "ARENA_ADMIN_TOKEN": TOKEN, "ARENA_LOG_LEVEL": "warning"}
    proc = subprocess.Popen([sys.executable, "-m", "server.cli", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_healthy(base)
        yield base, proc
    finally:
        proc.terminate()
        proc.wait(30)
        r = redis.Redis.from_url(REDIS_URL)
        keys = list(r.scan_iter(match=prefix + "*"))
        if keys:
            r.delete(*keys)
        r.close()


async def test_admin_rooms_and_metrics(admin_server):
    base, app = admin_server
    host = await login(base, "Ari")
    try:
        room_id = (await host.call("create_room", ROOM))["room_id"]
        await host.call("join_room", {"room_id": room_id})
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/api/v1/admin/rooms", headers={"Authorization": "Bearer wrong"}) as r:
                assert r.status == 401 and (await r.json())["error"]["code"] == "unauthorized"
            async with http.get(f"{base}/api/v1/admin/rooms", headers={"Authorization": f"Bearer {TOKEN}"}) as r:
                body = await r.json()
            room = {x["room_id"]: x for x in body["rooms"]}[room_id]
            me = body["nodes"][0]
            assert room["owner"] == me and room["phase"] == "lobby" and room["private"] is True, room
            assert [p["display_name"] for p in room["players"] if p["kind"] == "human"] == ["Ari"]
            async with http.get(f"{base}/metrics") as r:
                text = await r.text()
            assert "\narena_active_rooms 1.0" in text and 'process="' not in text, "one process: no label"
    finally:
        await host.sio.disconnect()


@pytest.mark.skipif(not ADMIN_UI_DIST.exists(), reason="the Admin UI is not copied yet (make web)")
async def test_the_socketio_admin_ui_behind_the_admin_credential(admin_server):
    base, _ = admin_server
    basic = {"Authorization": "Basic " + base64.b64encode(f"admin:{TOKEN}".encode()).decode()}
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/api/v1/admin/rooms", headers={"Authorization": f"Bearer {TOKEN}"}) as r:
            me = (await r.json())["nodes"][0]
        # local files behind the credential, without the CDN links
        async with http.get(f"{base}/admin/socketio/") as r:
            assert r.status == 401 and r.headers["WWW-Authenticate"].startswith("Basic")
        async with http.get(f"{base}/admin/socketio/", headers=basic) as r:
            html = await r.text()
        assert r.status == 200 and "Socket.IO Admin UI" in html and "https://" not in html
        js = sorted(p.name for p in (ADMIN_UI_DIST / "js").glob("app.*.js"))[0]
        async with http.get(f"{base}/admin/socketio/js/{js}", headers=basic) as r:
            assert r.status == 200 and len(await r.read()) > 10_000
        async with http.get(f"{base}/admin/socketio/%2e%2e/%2e%2e/pyproject.toml", headers=basic) as r:
            assert r.status == 404

    # the UI's socket: the /admin namespace with the same credential; a wrong one is refused
    ok = socketio.AsyncClient(reconnection=False)
    stats = []
    ok.on("server_stats", lambda data: stats.append(data), namespace="/admin")
    await ok.connect(base, namespaces=["/admin"], auth={"username": "admin", "password": TOKEN},
                     transports=["websocket"], wait_timeout=5)
    try:
        bad = socketio.AsyncClient(reconnection=False)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await bad.connect(base, namespaces=["/admin"], auth={"username": "admin", "password": "nope"},
                              transports=["websocket"], wait_timeout=5)
        for _ in range(50):
            if stats:
                break
            await asyncio.sleep(0.1)
        assert stats and stats[0]["serverId"] == me, stats[:1]
    finally:
        await ok.disconnect()
