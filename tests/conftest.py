"""Shared fixtures: a real game server on a real socket, backed by the real Redis and PostgreSQL on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid

import aiohttp
import pytest
import socketio
from aiohttp import web

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.asynccontextmanager
async def running_server(time_scale: float = 0.05, **config):
    """Start the full server (aiohttp + Socket.IO) on a free port against the real Redis and
    PostgreSQL, with a private Redis key prefix; yields a :class:`ServerHandle`, then cleans up.
    ``config``: further :class:`server.config.Config` fields (e.g. ``redis_pool=2``, or another
    ``database_url``)."""
    from server.app import build_app
    from server.config import Config
    from server.logs import setup_logging

    setup_logging("warning")
    prefix = f"test:{uuid.uuid4().hex[:8]}:"
    # restore_rooms off by default: a stop ends every match (no room state left behind after the keys are
    # deleted); tests/test_failover.py runs its servers with it on.
    cfg = Config(**{"redis_url": REDIS_URL, "database_url": DATABASE_URL, "key_prefix": prefix,
                    "time_scale": time_scale, "jwt_secret": "test-secret", "restore_rooms": False, **config})
    app = await build_app(cfg)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    srv = ServerHandle(f"http://127.0.0.1:{port}", app, prefix)
    try:
        yield srv
    finally:
        await srv.close_clients()
        r = app["redis"].r
        keys = [k async for k in r.scan_iter(match=prefix + "*")]
        if keys:
            await r.delete(*keys)
        await runner.cleanup()


@pytest.fixture
async def server():
    """The full server with 0.05 time scale (phases and answer time × 0.05)."""
    async with running_server() as srv:
        yield srv


class Player:
    """A python-socketio client that records every event it receives."""

    def __init__(self, base: str, name: str) -> None:
        self.base = base
        self.name = name
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: list[tuple[str, dict]] = []
        self.user_id: str | None = None
        self.token: str | None = None
        self.changed = asyncio.Event()

        @self.sio.on("*")
        async def any_event(event, data=None):
            self.events.append((event, data))
            self.changed.set()

    async def login(self) -> "Player":
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{self.base}/api/v1/auth/guest", json={"display_name": self.name}) as r:
                body = await r.json()
        self.token, self.user_id = body["token"], body["user_id"]
        await self.sio.connect(self.base, auth={"token": self.token}, transports=["websocket"],
                               socketio_path="socket.io", wait_timeout=5)
        return self

    async def call(self, event: str, data: dict | None = None) -> dict:
        return await self.sio.call(event, data if data is not None else {}, timeout=10)

    def of(self, name: str) -> list[dict]:
        return [d for e, d in self.events if e == name]

    async def wait_for(self, pred, timeout: float = 60.0):
        async def loop():
            while True:
                v = pred()
                if v:
                    return v
                self.changed.clear()
                await self.changed.wait()
        return await asyncio.wait_for(loop(), timeout)


class ServerHandle:
    def __init__(self, base: str, app, prefix: str) -> None:
        self.base = base
        self.app = app
        self.prefix = prefix
        self.players: list[Player] = []

    async def player(self, name: str) -> Player:
        p = await Player(self.base, name).login()
        self.players.append(p)
        return p

    async def close_clients(self) -> None:
        for p in self.players:
            if p.sio.connected:
                await p.sio.disconnect()
