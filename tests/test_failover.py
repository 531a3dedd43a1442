"""Failover of one game process (issue 11): a match survives a restart of the server, over real
Socket.IO, Redis and PostgreSQL. The server is stopped mid-match (a clean stop, in process) or
killed with SIGKILL (a subprocess ``arena serve``), a new one starts on the same Redis and
PostgreSQL, the players reconnect with the last ``seq`` they saw, and the match completes with
every score: the ranking equals the sum of every ``score_update`` the players received.

Time scale 0.05: a 20 s answer lasts 1 s, the reconnection grace 3 s."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid

import aiohttp
from aiohttp import web

from tests.conftest import DATABASE_URL, REDIS_URL, Player, free_port
from tests.test_replay import ANSWER, room_events

ROOM = {"title": "Failover", "personas": [{"id": "naver", "skill": 4}], "question_count": 3,
        "language": "ko", "turn_mode": "round_robin", "answer_seconds": 20, "max_humans": 2, "private": True}
SECRET = "failover-test-secret-0123456789abcdef"


@contextlib.asynccontextmanager
async def in_process_server(prefix: str, port: int):
    """The full server on ``port`` with key prefix ``prefix``; a clean stop on exit (keys kept)."""
    from server.app import build_app
    from server.config import Config
    from server.logs import setup_logging

    setup_logging("warning")
    cfg = Config(redis_url=REDIS_URL, database_url=DATABASE_URL, key_prefix=prefix, time_scale=0.05,
                 jwt_secret=SECRET)
    app = await build_app(cfg)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield app
    finally:
        await runner.cleanup()


def arena_serve(prefix: str, port: int) -> subprocess.Popen:
    """``arena serve`` in a subprocess; its log goes to ``$FAILOVER_LOG`` (appended) if set."""
    env = {**os.environ, "REDIS_URL": REDIS_URL, "DATABASE_URL": DATABASE_URL, "ARENA_KEY_PREFIX": prefix,
           "ARENA_TIME_SCALE": "0.05", "ARENA_JWT_SECRET": SECRET, "ARENA_MEDIA": "0", "ARENA_LOG_LEVEL": "info"}
    out = open(os.environ["FAILOVER_LOG"], "ab") if os.environ.get("FAILOVER_LOG") else subprocess.DEVNULL
    return subprocess.Popen([sys.executable, "-m", "server.cli", "serve", "--port", str(port)], env=env,
                            stdout=out, stderr=out)


async def wait_healthy(base: str, timeout: float = 120) -> None:
    t0 = time.monotonic()
    async with aiohttp.ClientSession() as http:
        while time.monotonic() - t0 < timeout:
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(f"{base}/healthz") as r:
                    if r.status == 200:
                        return
            await asyncio.sleep(0.3)
    raise TimeoutError(f"{base} did not come up")


async def cleanup_keys(prefix: str) -> None:
    import redis.asyncio as aioredis

    r = aioredis.from_url(REDIS_URL, decode_responses=True)
    keys = [k async for k in r.scan_iter(match=prefix + "*")]
    if keys:
        await r.delete(*keys)
    await r.aclose()


class Bots:
    """Each player answers their own turns until stopped."""

    def __init__(self) -> None:
        self.stop = asyncio.Event()
        self.tasks: list[asyncio.Task] = []

    def add(self, p: Player) -> None:
        self.tasks.append(asyncio.create_task(self._answer(p)))

    async def _answer(self, p: Player) -> None:
        answered = set()
        while not self.stop.is_set():
            turns = p.of("turn_started")
            if turns and turns[-1]["participant_id"] == p.user_id and turns[-1]["question_id"] not in answered:
                answered.add(turns[-1]["question_id"])
                with contextlib.suppress(Exception):             # a passed deadline, a dropped socket
                    await p.call("submit_answer", {"text": ANSWER})
            p.changed.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(p.changed.wait(), 0.1)

    async def halt(self) -> None:
        self.stop.set()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.tasks, self.stop = [], asyncio.Event()


async def login(base: str, name: str) -> Player:
    p = Player(base, name)
    return await p.login()


async def reconnect(base: str, p: Player) -> Player:
    q = Player(base, p.name)
    q.token, q.user_id = p.token, p.user_id
    await q.sio.connect(base, auth={"token": q.token}, transports=["websocket"], socketio_path="socket.io",
                        wait_timeout=5)
    q.events = list(p.events)                 # one history per player across their sockets
    return q


async def play_until_scored(base: str, bots: Bots) -> tuple[list[Player], str]:
    """Host and Bora create (private), join and start a match, and answer until question 1 is scored."""
    host, bora = await login(base, "Ari"), await login(base, "Bora")
    ack = await host.call("create_room", ROOM)
    room_id = ack["room_id"]
    code = (await host.call("join_room", {"room_id": room_id}))["state"]["join_code"]
    assert (await bora.call("join_room", {"join_code": code}))["ok"]
    assert (await bora.call("set_ready", {"ready": True}))["ok"]
    assert (await host.call("start_match"))["ok"]
    for p in (host, bora):
        bots.add(p)
    await host.wait_for(lambda: len(host.of("score_update")) >= 3, 60)   # question 1: 3 candidates scored
    return [host, bora], room_id


async def come_back(base: str, players: list[Player], room_id: str, bots: Bots) -> list[Player]:
    back = []
    for p in players:
        q = await reconnect(base, p)
        last = room_events(p, room_id)[-1][1]["seq"]
        ack = await q.call("join_room", {"room_id": room_id, "last_seq": last})
        assert ack["ok"] and ack["replay"] and "state" not in ack, ack     # caught up from the stream
        back.append(q)
        bots.add(q)
    return back


async def assert_completes_with_every_score(players: list[Player], room_id: str) -> None:
    await asyncio.gather(*(p.wait_for(lambda p=p: p.of("session_complete"), 90) for p in players))
    for p in players:
        evs = room_events(p, room_id)
        seqs = [d["seq"] for _, d in evs]
        assert len(set(seqs)) == len(seqs), "no event twice"
        scores = {}
        for name, d in evs:
            if name == "score_update":
                scores[(d["participant_id"], d["question_id"])] = d["score"]
        assert len(scores) == 3 * 3, ("every candidate scored on every question", sorted(scores), [
            (d["seq"], n, d.get("phase") or d.get("participant_id"), d.get("presence") or d.get("question_id"))
            for n, d in evs if n in ("phase_changed", "presence_changed", "participant_left", "answer_submitted",
                                     "turn_started", "answer_locked")])
        totals = {}
        for (pid, _), s in scores.items():
            totals[pid] = totals.get(pid, 0) + s
        ranking = p.of("session_complete")[-1]["ranking"]
        assert {e["participant_id"]: e["score"] for e in ranking} == totals
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{players[0].base}/api/v1/rooms/{room_id}/report",
                            headers={"Authorization": f"Bearer {players[0].token}"}) as r:
            assert r.status == 200, await r.text()
            report = await r.json()
    assert len(report["questions"]) == 3


async def test_a_clean_restart_brings_the_match_back():
    prefix, port = f"test:{uuid.uuid4().hex[:8]}:", free_port()
    base = f"http://127.0.0.1:{port}"
    bots = Bots()
    players = []
    try:
        async with in_process_server(prefix, port):
            players, room_id = await play_until_scored(base, bots)
            await bots.halt()
            for p in players:
                await p.sio.disconnect()
        async with in_process_server(prefix, port) as app:
            assert room_id in app["manager"].hosts, "the room was restored"
            players = await come_back(base, players, room_id, bots)
            await assert_completes_with_every_score(players, room_id)
    finally:
        await bots.halt()
        for p in players:
            if p.sio.connected:
                await p.sio.disconnect()
        await cleanup_keys(prefix)


async def test_kill_9_of_arena_serve_loses_no_room():
    prefix, port = f"test:{uuid.uuid4().hex[:8]}:", free_port()
    base = f"http://127.0.0.1:{port}"
    bots = Bots()
    players = []
    proc = arena_serve(prefix, port)
    try:
        await wait_healthy(base)
        players, room_id = await play_until_scored(base, bots)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        await bots.halt()
        for p in players:
            with contextlib.suppress(Exception):
                await p.sio.disconnect()
        proc = arena_serve(prefix, port)
        await wait_healthy(base)
        players = await come_back(base, players, room_id, bots)
        await assert_completes_with_every_score(players, room_id)
    finally:
        await bots.halt()
        for p in players:
            if p.sio.connected:
                await p.sio.disconnect()
        if proc.poll() is None:
            proc.terminate()
            proc.wait(20)
        await cleanup_keys(prefix)


async def test_an_unreadable_stored_room_is_forgotten_not_half_restored():
    """A tree of another version (or a broken one) is logged and dropped at start-up; the server runs."""
    import json

    import redis.asyncio as aioredis

    from rooms.state import STATE_VERSION

    prefix, port = f"test:{uuid.uuid4().hex[:8]}:", free_port()
    r = aioredis.from_url(REDIS_URL, decode_responses=True)
    try:
        await r.set(f"{prefix}room:future:engine", json.dumps({"version": STATE_VERSION + 1}))
        await r.set(f"{prefix}room:broken:engine", "{not json")
        await r.sadd(f"{prefix}rooms:live", "future", "broken", "expired")
        async with in_process_server(prefix, port) as app:
            assert not app["manager"].hosts
            assert await r.smembers(f"{prefix}rooms:live") == set()
            assert not await r.exists(f"{prefix}room:future:engine", f"{prefix}room:broken:engine")
    finally:
        await r.aclose()
        await cleanup_keys(prefix)
