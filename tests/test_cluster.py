"""Several game processes (issue 11): two ``arena serve`` nodes (``ARENA_CLUSTER=1``) on one Redis
and PostgreSQL, behind HAProxy when it is installed (else the clients reconnect to the survivor
directly).

The chaos test: the host plays on node a, Bora on node b (her commands reach the room's owner, a,
over Redis, and the acks come back), the lobby on b lists a's public room; after question 1 is
scored node a is killed with SIGKILL; within 5 s node b holds the room's lease and runs it, the
players reconnect (through the load balancer) with their last ``seq``, catch up through the
missed-event replay, and the match completes with every score.

Time scale 0.05: a 20 s answer lasts 1 s."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
import redis.asyncio as aioredis

from server.cluster_run import start_haproxy
from server.lease import node_of
from tests.conftest import DATABASE_URL, REDIS_URL, free_port
from tests.test_failover import (ROOM, SECRET, Bots, assert_completes_with_every_score, cleanup_keys, login,
                                 reconnect, wait_healthy)
from tests.test_replay import room_events


ADMIN = "cluster-admin-token"


def cluster_node(prefix: str, port: int, node_id: str) -> subprocess.Popen:
    env = {**os.environ, "REDIS_URL": REDIS_URL, "DATABASE_URL": DATABASE_URL, "ARENA_KEY_PREFIX": prefix,
           "ARENA_TIME_SCALE": "0.05", "ARENA_JWT_SECRET": SECRET, "ARENA_MEDIA": "0", "ARENA_LOG_LEVEL": "info",
           "ARENA_CLUSTER": "1", "ARENA_NODE_ID": node_id,
           "ARENA_ADMIN_TOKEN": ADMIN}
    out = open(os.environ["CLUSTER_LOG"], "ab") if os.environ.get("CLUSTER_LOG") else subprocess.DEVNULL
    return subprocess.Popen([sys.executable, "-m", "server.cli", "serve", "--port", str(port)], env=env,
                            stdout=out, stderr=out)


async def owner(r, prefix: str, room_id: str) -> str | None:
    return node_of(await r.get(f"{prefix}room:{room_id}:owner"))


async def test_kill_9_of_a_game_process_mid_match_the_other_takes_the_room_over():
    prefix = f"test:{uuid.uuid4().hex[:8]}:"
    pa, pb, plb = free_port(), free_port(), free_port()
    a_url, b_url = f"http://127.0.0.1:{pa}", f"http://127.0.0.1:{pb}"
    procs = {"a": cluster_node(prefix, pa, "a"), "b": cluster_node(prefix, pb, "b")}
    lb, tmp = None, tempfile.TemporaryDirectory(prefix="arena-lb-test-")
    r = aioredis.from_url(REDIS_URL, decode_responses=True)
    bots, players = Bots(), []
    try:
        await asyncio.gather(wait_healthy(a_url), wait_healthy(b_url))
        with contextlib.suppress(FileNotFoundError):
            lb = start_haproxy(plb, [("a", pa), ("b", pb)], Path(tmp.name))
        back_url = f"http://127.0.0.1:{plb}" if lb else b_url

        host, bora = await login(a_url, "Ari"), await login(b_url, "Bora")
        players = [host, bora]
        ack = await host.call("create_room", {**ROOM, "private": False})
        room_id = ack["room_id"]
        assert await owner(r, prefix, room_id) == "a"
        await host.call("join_room", {"room_id": room_id})
        # the lobby on b lists the room a owns (public rooms of every node)
        for _ in range(20):
            rooms = (await bora.call("list_rooms"))["rooms"]
            if any(x["room_id"] == room_id for x in rooms):
                break
            await asyncio.sleep(0.2)
        assert any(x["room_id"] == room_id for x in rooms), rooms
        # Bora is on b: her join by code, ready and answers go to a and their acks come back
        join = await bora.call("join_room", {"join_code": ack["join_code"]})
        assert join["ok"] and join["state"]["room_id"] == room_id, join
        assert (await bora.call("set_ready", {"ready": True}))["ok"]
        assert (await host.call("start_match"))["ok"]
        await check_operator_views(a_url, b_url, room_id)
        for p in players:
            bots.add(p)
        await host.wait_for(lambda: len(host.of("score_update")) >= 3, 60)
        await bora.wait_for(lambda: len(bora.of("score_update")) >= 3, 10)   # a's broadcasts reach b's socket

        os.kill(procs["a"].pid, signal.SIGKILL)
        t_kill = time.monotonic()
        procs["a"].wait(10)
        while await owner(r, prefix, room_id) != "b":
            assert time.monotonic() - t_kill < 5.0, "node b took the room over within 5 s"
            await asyncio.sleep(0.1)
        took_over_s = time.monotonic() - t_kill
        # b moved Bora's socket off the room (so she rejoins through the replay); a's sockets died
        for p in players:
            await asyncio.wait_for(_disconnected(p), 10)
        await bots.halt()
        back = []
        for p in players:
            q = await reconnect(back_url, p)
            last = room_events(p, room_id)[-1][1]["seq"]
            rejoin = await q.call("join_room", {"room_id": room_id, "last_seq": last})
            assert rejoin["ok"] and rejoin["replay"] and "state" not in rejoin, rejoin
            back.append(q)
            bots.add(q)
        players = back
        await assert_completes_with_every_score(players, room_id)
        print(f"takeover after kill -9: {took_over_s:.2f} s; load balancer: {'haproxy' if lb else 'none'}")
    finally:
        await bots.halt()
        for p in players:
            if p.sio.connected:
                await p.sio.disconnect()
        for p in [*procs.values(), *([lb] if lb else [])]:
            if p.poll() is None:
                p.terminate()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    p.wait(20)
            if p.poll() is None:
                p.kill()
        tmp.cleanup()
        await r.aclose()
        await cleanup_keys(prefix)


async def check_operator_views(a_url: str, b_url: str, room_id: str) -> None:
    """b's admin API lists the room a runs, with its owner, phase and players, and so does b's REST
    room list; /metrics of each process carries its process label; the admin API wants the token."""
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{b_url}/api/v1/admin/rooms") as r:
            assert r.status == 401 and (await r.json())["error"]["code"] == "unauthorized"
        for _ in range(30):
            async with http.get(f"{b_url}/api/v1/admin/rooms", headers={"Authorization": f"Bearer {ADMIN}"}) as r:
                body = await r.json()
            rooms = {x["room_id"]: x for x in body["rooms"]}
            if room_id in rooms and rooms[room_id]["phase"] not in (None, "lobby"):
                break
            await asyncio.sleep(0.1)
        room = rooms[room_id]
        assert room["owner"] == "a" and sorted(body["nodes"]) == ["a", "b"], body
        assert room["phase"] not in (None, "lobby"), room
        assert sorted(p["kind"] for p in room["players"]) == ["ai", "human", "human"], room
        async with http.get(f"{b_url}/api/v1/rooms") as r:           # the REST room list is the cluster's too
            assert room_id in [x["room_id"] for x in (await r.json())["rooms"]]
        for url, node in ((a_url, "a"), (b_url, "b")):
            async with http.get(f"{url}/metrics") as r:
                text = await r.text()
            assert f'arena_active_rooms{{process="{node}"}}' in text, text[:500]


async def _disconnected(p) -> None:
    while p.sio.connected:
        await asyncio.sleep(0.1)
