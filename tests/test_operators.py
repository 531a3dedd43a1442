"""Operator tools (``docs/operators.md``) on real servers with real Socket.IO clients: off without an
admin credential (404, nothing instrumented), and with ``ARENA_ADMIN_USER``/``ARENA_ADMIN_PASSWORD``:
the Admin UI's local files, its ``/admin`` namespace, the admin room list, ``/metrics``' process label.

The credentialed server runs in a subprocess: ``instrument()`` patches Engine.IO's socket class for
the whole process (``tests/test_admin.py`` does the same with a token)."""

from __future__ import annotations

import asyncio
import base64
import os
import re
import subprocess
import sys
import uuid

import aiohttp
import pytest
import redis
import socketio
from engineio.async_socket import AsyncSocket

from server.admin_auth import AdminCredential, admin_credential
from server.cluster_run import wait_healthy
from server.config import ROOT
from tests.conftest import DATABASE_URL, REDIS_URL, free_port, running_server
from tests.test_failover import ROOM, SECRET, login

USER, PASSWORD = "ops", "correct horse battery staple"
NODE = "ops-node-1"          # the credentialed server is a one-node cluster: leases name the owner
UI = ROOT / "clients" / "web" / "dist" / "admin-ui"


def basic(user: str, password: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_the_credential_rules():
    assert admin_credential({}) is None and admin_credential({"ARENA_ADMIN_USER": "x"}) is None
    c = admin_credential({"ARENA_ADMIN_PASSWORD": "pw"})
    assert c == AdminCredential("admin", "pw", "")
    assert c.check_header(basic("admin", "pw")["Authorization"])
    assert not c.check_header(basic("admin", "pw2")["Authorization"])
    assert not c.check_header(basic("root", "pw")["Authorization"])
    assert not c.check_header("Bearer pw")                   # no token configured: Bearer never works
    assert not c.check_header("Basic !!!") and not c.check_header("Basic " + base64.b64encode(b"nocolon").decode())
    assert not c.check_header(None) and not c.check_header("")
    t = admin_credential({"ARENA_ADMIN_TOKEN": "tok", "ARENA_ADMIN_USER": "ops"})
    assert t.check_header("Bearer tok") and t.check_header("bearer  tok ") and not t.check_header("Bearer to")
    assert t.check_socket_auth({"username": "ops", "password": "tok"})
    assert not t.check_socket_auth({"username": "admin", "password": "tok"})
    assert not t.check_socket_auth(None) and not t.check_socket_auth({"username": "ops", "password": 1})


def test_an_unknown_instrumentation_mode_is_refused_at_start(monkeypatch):
    from server.api.admin_ui import setup_admin_ui

    monkeypatch.setenv("ARENA_ADMIN_UI_MODE", "verbose")
    with pytest.raises(ValueError, match="ARENA_ADMIN_UI_MODE"):
        setup_admin_ui({}, AdminCredential(password="pw"), "p-1")


def test_every_sample_gets_the_process_label_escaped_by_prometheus_client():
    from prometheus_client import CollectorRegistry, Counter, Histogram
    from prometheus_client.parser import text_string_to_metric_families

    from server.api.admin import exposition

    reg = CollectorRegistry()
    Counter("t_events_total", "d", ["event"], registry=reg).labels('odd"} 1 name').inc(3)
    Histogram("t_seconds", "d", registry=reg, buckets=(0.1, 1)).observe(0.5)
    text = exposition('node "a"\\1', reg).decode()
    samples = [s for f in text_string_to_metric_families(text) for s in f.samples]
    assert samples and all(s.labels["process"] == 'node "a"\\1' for s in samples)
    assert {s.labels.get("event") for s in samples if s.name == "t_events_total"} == {'odd"} 1 name'}
    assert exposition("x", reg).count(b'process="x"') == len(samples)     # the registry itself is unchanged
    assert b"process=" not in __import__("prometheus_client").generate_latest(reg)


async def test_without_a_credential_the_admin_tools_are_off_and_nothing_is_instrumented(monkeypatch):
    for k in ("ARENA_ADMIN_USER", "ARENA_ADMIN_PASSWORD", "ARENA_ADMIN_TOKEN"):
        monkeypatch.delenv(k, raising=False)
    handler = AsyncSocket.__dict__["_websocket_handler"]
    async with running_server() as srv:
        sio = srv.app["sio"]
        # instrument() never ran: no /admin namespace, python-socketio's own methods unpatched
        assert "/admin" not in sio.handlers and "admin_instrumentation" not in srv.app
        assert "_trigger_event" not in vars(sio) and "emit" not in vars(sio.manager)
        assert AsyncSocket.__dict__["_websocket_handler"] is handler and callable(handler)
        async with aiohttp.ClientSession() as http:
            for headers in ({}, basic("admin", ""), {"Authorization": "Bearer "}):
                async with http.get(f"{srv.base}/api/v1/admin/rooms", headers=headers) as r:
                    assert r.status == 404 and (await r.json())["error"]["code"] == "admin_disabled"
            for path in ("/admin/socketio/", "/admin/socketio/index.html", "/admin/socketio"):
                async with http.get(f"{srv.base}{path}", headers=basic("admin", ""), allow_redirects=False) as r:
                    assert r.status == 404, path
            async with http.get(f"{srv.base}/api/openapi.json") as r:
                assert "/api/v1/admin/rooms" in (await r.json())["paths"]
            async with http.get(f"{srv.base}/metrics") as r:               # one process: the plain series
                text = await r.text()
            assert re.search(r"^arena_active_rooms \S+$", text, re.M) and 'process="' not in text
        admin = socketio.AsyncClient(reconnection=False)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await admin.connect(srv.base, namespaces=["/admin"], auth={"username": "admin", "password": ""},
                                transports=["websocket"], wait_timeout=5)
        await admin.disconnect()


@pytest.fixture(scope="module")
def password_server():
    """``arena serve`` in a subprocess with ``ARENA_ADMIN_USER``/``ARENA_ADMIN_PASSWORD`` (no token), in
    cluster mode as the only node ``NODE`` (room leases, the process label on ``/metrics``)."""
    prefix, port = f"test:{uuid.uuid4().hex[:8]}:", free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARENA_ADMIN_")}
    env.update(REDIS_URL=REDIS_URL, DATABASE_URL=DATABASE_URL, ARENA_KEY_PREFIX=prefix, ARENA_JWT_SECRET=SECRET,
               ARENA_MEDIA="0", ARENA_WORKERS="0", ARENA_LOG_LEVEL="warning", ARENA_ADMIN_USER=USER,
               ARENA_ADMIN_PASSWORD=PASSWORD, ARENA_NODE_ID=NODE)
    proc = subprocess.Popen([sys.executable, "-m", "server.cli", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_healthy(base)
        yield base
    finally:
        proc.terminate()
        proc.wait(30)
        r = redis.Redis.from_url(REDIS_URL)
        keys = list(r.scan_iter(match=prefix + "*"))
        if keys:
            r.delete(*keys)
        r.close()


async def test_the_admin_api_lists_a_live_room_with_phase_players_and_owner(password_server):
    base = password_server
    url = f"{base}/api/v1/admin/rooms"
    host = await login(base, "Ari")
    guest = await login(base, "Bo")
    try:
        created = await host.call("create_room", ROOM)
        room_id = created["room_id"]
        await host.call("join_room", {"room_id": room_id})
        await guest.call("join_room", {"room_id": room_id, "join_code": created["join_code"]})
        async with aiohttp.ClientSession() as http:
            for headers in ({}, basic(USER, "wrong"), basic("admin", PASSWORD), {"Authorization": f"Bearer {PASSWORD}"}):
                async with http.get(url, headers=headers) as r:
                    assert r.status == 401, headers
                    assert r.headers["WWW-Authenticate"].startswith("Basic")
                    assert (await r.json())["error"]["code"] == "unauthorized"
            async with http.get(url, headers=basic(USER, PASSWORD)) as r:
                assert r.status == 200
                body = await r.json()
            me = body["nodes"]
            assert me == [NODE]
            room = {x["room_id"]: x for x in body["rooms"]}[room_id]
            assert room["lease_token"].startswith(f"{NODE}:"), room      # the owner comes from the lease
            assert room["owner"] == NODE and room["phase"] == "lobby" and room["title"] == ROOM["title"]
            humans = {p["display_name"]: p for p in room["players"] if p["kind"] == "human"}
            assert set(humans) == {"Ari", "Bo"} and humans["Ari"]["is_host"] and not humans["Bo"]["is_host"]
            assert [p for p in room["players"] if p["kind"] == "ai"], room["players"]
            # the phase follows the match
            assert (await guest.call("set_ready", {"ready": True}))["ok"]
            assert (await host.call("start_match"))["ok"]
            for _ in range(50):
                async with http.get(url, headers=basic(USER, PASSWORD)) as r:
                    room = {x["room_id"]: x for x in (await r.json())["rooms"]}[room_id]
                if room["phase"] != "lobby":
                    break
                await asyncio.sleep(0.1)
            assert room["phase"] in ("countdown", "question", "answering"), room["phase"]
            async with http.get(f"{base}/metrics") as r:
                text = await r.text()
            assert f'arena_active_rooms{{process="{me[0]}"}} 1.0' in text
            assert f'arena_connected_clients{{process="{me[0]}"}} 2.0' in text
    finally:
        await host.sio.disconnect()
        await guest.sio.disconnect()


@pytest.mark.skipif(not (UI / "index.html").exists(), reason="the Admin UI is not copied yet (make web)")
async def test_the_admin_ui_is_local_and_behind_the_password(password_server):
    base = password_server
    ok = basic(USER, PASSWORD)
    async with aiohttp.ClientSession() as http:
        for headers in ({}, basic(USER, "nope"), {"Authorization": f"Bearer {PASSWORD}"}):
            async with http.get(f"{base}/admin/socketio/", headers=headers) as r:
                assert r.status == 401 and r.headers["WWW-Authenticate"].startswith("Basic"), headers
        async with http.get(f"{base}/admin/socketio", headers=ok, allow_redirects=False) as r:
            assert r.status == 302 and r.headers["Location"] == "/admin/socketio/"
        async with http.get(f"{base}/admin/socketio/", headers=ok) as r:
            html = await r.text()
        assert r.status == 200 and "Socket.IO Admin UI" in html and "://" not in html
        assert 'href="mdi/css/materialdesignicons.min.css"' in html
        for name in ("mdi/css/materialdesignicons.min.css", "mdi/fonts/materialdesignicons-webfont.woff2",
                     sorted(p.relative_to(UI).as_posix() for p in (UI / "js").glob("app.*.js"))[0]):
            async with http.get(f"{base}/admin/socketio/{name}", headers=ok) as r:
                assert r.status == 200 and len(await r.read()) > 1000, name
            async with http.get(f"{base}/admin/socketio/{name}") as r:
                assert r.status == 401, name
        async with http.get(f"{base}/admin/socketio/%2e%2e/%2e%2e/%2e%2e/pyproject.toml", headers=ok) as r:
            assert r.status == 404


async def test_the_admin_namespace_takes_the_same_login(password_server):
    base = password_server
    for auth in ({"username": USER, "password": "nope"}, {"username": "admin", "password": PASSWORD}, None,
                 {"password": PASSWORD}):
        bad = socketio.AsyncClient(reconnection=False)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await bad.connect(base, namespaces=["/admin"], auth=auth, transports=["websocket"], wait_timeout=5)
        await bad.disconnect()
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/api/v1/admin/rooms", headers=basic(USER, PASSWORD)) as r:
            me = (await r.json())["nodes"][0]
    stats: list[dict] = []
    admin = socketio.AsyncClient(reconnection=False)
    admin.on("server_stats", stats.append, namespace="/admin")
    await admin.connect(base, namespaces=["/admin"], auth={"username": USER, "password": PASSWORD},
                        transports=["websocket"], wait_timeout=5)
    try:
        for _ in range(60):
            if stats:
                break
            await asyncio.sleep(0.1)
        assert stats and stats[0]["serverId"] == me == NODE and stats[0]["clientsCount"] >= 1, stats[:1]
    finally:
        await admin.disconnect()
