"""Commands across two cluster nodes in one test process (``docs/cluster.md``), over real Socket.IO
and Redis: a join by code on the node that does not own the room runs on the owner; a disconnect
on the other node drops the player on the owner; a rejoin there gets the missed-event replay
**before** its ack (one pub/sub channel keeps one order); a clean stop of the owner releases the
lease and the other node runs the room within about a second."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid

from aiohttp import web

from tests.conftest import DATABASE_URL, REDIS_URL, free_port
from tests.test_failover import ROOM, SECRET, cleanup_keys, login, reconnect
from tests.test_replay import room_events


async def start_node(prefix: str, node_id: str) -> tuple[web.AppRunner, web.Application, str]:
    from server.app import build_app
    from server.config import Config
    from server.logs import setup_logging

    setup_logging("warning")
    port = free_port()
    cfg = Config(redis_url=REDIS_URL, database_url=DATABASE_URL, key_prefix=prefix, time_scale=0.05,
                 jwt_secret=SECRET, node_id=node_id)
    app = await build_app(cfg)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, app, f"http://127.0.0.1:{port}"


async def test_commands_disconnects_and_replays_reach_the_owner_and_a_clean_stop_hands_the_room_over():
    prefix = f"test:{uuid.uuid4().hex[:8]}:"
    runners, players = [], []
    try:
        ra, app_a, a_url = await start_node(prefix, "a")
        runners.append(ra)
        rb, app_b, b_url = await start_node(prefix, "b")
        runners.append(rb)
        host, bora = await login(a_url, "Ari"), await login(b_url, "Bora")
        players = [host, bora]
        ack = await host.call("create_room", {**ROOM, "question_count": 1, "answer_seconds": 120})
        room_id = ack["room_id"]
        await host.call("join_room", {"room_id": room_id})
        t0 = time.monotonic()
        missing = await bora.call("join_room", {"room_id": "0123456789"})
        assert missing["error"]["code"] == "room_not_found" and time.monotonic() - t0 < 1.0, missing
        missing = await bora.call("join_room", {"join_code": "ZZZZZZ"})
        assert missing["error"]["code"] == "room_not_found", missing
        join = await bora.call("join_room", {"join_code": ack["join_code"].lower()})
        assert join["ok"] and join["state"]["room_id"] == room_id, join
        assert room_id in app_a["manager"].hosts and room_id not in app_b["manager"].hosts
        assert (await bora.call("set_ready", {"ready": True}))["ok"]
        err = await bora.call("start_match")
        assert err["error"]["code"] == "not_host", "the owner's room answers, with its error codes"
        assert (await host.call("start_match"))["ok"]
        await bora.wait_for(lambda: bora.of("turn_started"), 20)

        # Bora's socket on b goes away: a (the owner) marks her away
        last = room_events(bora, room_id)[-1][1]["seq"]
        await bora.sio.disconnect()
        await host.wait_for(lambda: any(d["participant_id"] == bora.user_id and d["presence"] == "away"
                                        for d in host.of("presence_changed")), 5)
        await asyncio.sleep(0.2)
        # she comes back on b: the replay of what she missed arrives before the ack
        q = await reconnect(b_url, bora)
        players.append(q)
        n0 = len(q.events)                                   # the history kept from her first socket

        def fresh() -> list[int]:
            return [d["seq"] for e, d in q.events[n0:] if isinstance(d, dict) and d.get("room_id") == room_id
                    and "seq" in d]
        rejoin = await q.call("join_room", {"room_id": room_id, "last_seq": last})
        at_ack = fresh()
        assert rejoin["ok"] and rejoin["replay"] and rejoin["replay"]["events"] >= 1, rejoin
        assert at_ack[:rejoin["replay"]["events"]] == list(range(last + 1, rejoin["replay"]["to_seq"] + 1)), \
            ("the replay arrived, in order, before the ack", at_ack, rejoin)
        await host.wait_for(lambda: any(d["participant_id"] == bora.user_id and d["presence"] == "online"
                                        for d in host.of("presence_changed")), 5)

        # a clean stop of a: it suspends the room and releases the lease; b runs it within ~1 s
        t0 = time.monotonic()
        await host.sio.disconnect()
        await runners.pop(0).cleanup()
        while room_id not in app_b["manager"].hosts:
            assert time.monotonic() - t0 < 3, "b took the room over after a's clean stop"
            await asyncio.sleep(0.05)
        assert app_b["cluster"].leases.token(room_id).startswith("b:")
    finally:
        for p in players:
            if p.sio.connected:
                with contextlib.suppress(Exception):
                    await p.sio.disconnect()
        for r in runners:
            await r.cleanup()
        await cleanup_keys(prefix)
