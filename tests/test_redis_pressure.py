"""Redis pressure (issue 10, finding 10): the store stays within its connection pool, and a flush that
fails on Redis loses no event: every event is in the room's stream before it is emitted, and the drained
events a failed flush could not deliver go out first on the next flush, in seq order.

Against the real Redis (``TEST_REDIS_URL``), with a private key prefix."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import redis

from rooms.settings import RoomSettings
from server.runtime import RoomManager
from server.store.redis_store import RedisStore
from tests.conftest import REDIS_URL


@pytest.fixture
async def prefix():
    p = f"test:{uuid.uuid4().hex[:8]}:"
    yield p
    r = redis.asyncio.from_url(REDIS_URL)
    keys = [k async for k in r.scan_iter(match=p + "*")]
    if keys:
        await r.delete(*keys)
    await r.aclose()


async def test_concurrent_callers_wait_for_a_connection_within_the_pool(prefix):
    name = f"arena-pool-{uuid.uuid4().hex[:8]}"
    store = RedisStore(REDIS_URL + f"?client_name={name}", prefix, pool_size=2, pool_timeout=5)
    admin = redis.asyncio.from_url(REDIS_URL)
    try:
        await store.init_board("r1", {"a": "A", "b": "B"})
        peak = 0

        async def watch():
            nonlocal peak
            while True:
                clients = await admin.client_list()
                peak = max(peak, sum(1 for c in clients if c.get("name") == name))
                await asyncio.sleep(0.005)

        w = asyncio.create_task(watch())
        # 400 concurrent commands on a pool of 2: none fails with MaxConnectionsError, all are served.
        results = await asyncio.gather(*(store.add_score("r1", "a", 1) if i % 2 else store.room_board("r1")
                                         for i in range(400)))
        w.cancel()
        assert len(results) == 400
        assert dict(await store.room_board("r1"))["a"] == 200
        assert 1 <= peak <= 2
    finally:
        await store.close()
        await admin.aclose()


async def test_a_flush_that_fails_on_redis_loses_no_event(prefix):
    # A pool of one connection and a 50 ms wait: while that connection is taken, every Redis call of
    # the flush fails (redis.ConnectionError: no connection available), as under the probe's 2,000 leaves.
    store = RedisStore(REDIS_URL, prefix, pool_size=1, pool_timeout=0.05)
    sent: list[tuple[str, dict]] = []

    async def emit(name, data, room=None, to=None):
        sent.append((name, data))

    mgr = RoomManager(emit, store, results=None, time_scale=0.05, tick_hz=20)
    try:
        room = mgr.create_room("host", "Host", RoomSettings(title="pressure", max_humans=4))
        host = mgr.hosts[room.room_id]
        await host.flush()
        assert [d["seq"] for _, d in sent] == list(range(1, room.seq + 1))

        held = await store.r.connection_pool.get_connection()       # someone else holds the only connection
        try:
            room.join("u2", "Bora")
            room.join("u3", "Chan")
            room.set_ready("u2", True)
            before = len(sent)
            with pytest.raises(redis.ConnectionError):
                await host.flush()
            await asyncio.sleep(0.2)                                 # the tick loop fails too, several times
            assert len(sent) == before, "nothing is emitted before it is in the stream"
        finally:
            await store.r.connection_pool.release(held)

        room.join("u4", "Dana")                                      # newer events queue behind the old ones
        await host.flush()
        seqs = [d["seq"] for _, d in sent]
        assert seqs == list(range(1, room.seq + 1)), "no seq lost, none duplicated, in order"
        assert {d.get("participant", {}).get("participant_id") for n, d in sent if n == "participant_joined"} \
            >= {"u2", "u3", "u4"}
        # ... and the stream holds the same events, in the same order, for replay.
        assert await store.events_since(room.room_id, 0, room.seq) == sent
    finally:
        await mgr.stop()
        await store.close()


async def test_many_leaving_at_once_through_a_tiny_pool_fail_no_flush_and_leave_no_seq_gap():
    """The probe's 2,000 simultaneous leaves, in miniature, with 2 Redis connections for the server:
    3 players and 30 spectators leave a watched room while the hosts of 30 other rooms leave theirs, all
    at once (every leave stores a snapshot and reads a board). Every flush waits for a connection
    instead of failing (a plain pool of 2 fails here with MaxConnectionsError), and the watcher sees
    every leave, gapless."""
    from prometheus_client import REGISTRY

    from tests.conftest import running_server

    def failures() -> float:
        return REGISTRY.get_sample_value("arena_room_flush_failures_total") or 0.0

    async with running_server(redis_pool=2) as srv:
        watcher = await srv.player("Watcher")
        room_id = (await watcher.call("create_room", {"title": "watched", "max_humans": 4}))["room_id"]
        joined = await watcher.call("join_room", {"room_id": room_id})
        players, spectators, hosts = [], [], []
        for i in range(3):
            p = await srv.player(f"Player{i}")
            assert (await p.call("join_room", {"room_id": room_id}))["ok"]
            players.append(p)
        for i in range(30):
            p = await srv.player(f"Spec{i}")
            assert (await p.call("join_room", {"room_id": room_id, "role": "spectator"}))["ok"]
            spectators.append(p)
        for i in range(30):
            p = await srv.player(f"Host{i}")
            assert (await p.call("create_room", {"title": f"room {i}"}))["ok"]
            hosts.append(p)
        await watcher.wait_for(lambda: any(d["spectators"] == 30 for d in watcher.of("spectator_joined")), 10)

        before = failures()
        acks = await asyncio.gather(*(p.call("leave_room") for p in players + hosts),
                                    *(p.sio.disconnect() for p in spectators))
        assert all(a["ok"] for a in acks[:len(players) + len(hosts)]), acks
        await watcher.wait_for(lambda: len(watcher.of("participant_left")) == 3
                               and any(d["spectators"] == 0 for d in watcher.of("spectator_left")), 20)
        assert failures() == before, "a flush failed: the pool was exceeded instead of waited for"
        seqs = [d["seq"] for _, d in watcher.events if isinstance(d, dict) and d.get("room_id") == room_id
                and "seq" in d and d["seq"] > joined["state"]["seq"]]
        assert seqs == list(range(joined["state"]["seq"] + 1, joined["state"]["seq"] + 1 + len(seqs)))
        assert sorted(d["spectators"] for d in watcher.of("spectator_left")) == list(range(30))
