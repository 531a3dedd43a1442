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
