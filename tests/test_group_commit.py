"""Room writes of many rooms group-committed in one Redis round trip (``server/store/group_commit.py``),
on real Redis: batches form under concurrency, each room's write stays atomic and in order, one room's
error (a lost lease, a bad key) reaches only that room, and a script Redis forgot is loaded again."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import redis.exceptions

from server.lease import FencedRedisStore, LeaseLost, Leases
from server.store.redis_store import RedisStore
from tests.conftest import REDIS_URL


async def _cleanup(store: RedisStore) -> None:
    keys = [k async for k in store.r.scan_iter(match=store.prefix + "*")]
    if keys:
        await store.r.delete(*keys)
    await store.close()


@pytest.fixture
async def store():
    s = RedisStore(REDIS_URL, f"test:{uuid.uuid4().hex[:8]}:")
    yield s
    await _cleanup(s)


async def test_concurrent_rooms_share_round_trips_and_keep_their_events(store):
    async def room(i: int) -> None:
        for seq in range(1, 6):                  # one room: one write at a time, as a RoomHost flushes
            await store.append_events(f"r{i}", [(seq, "answer_stream", {"seq": seq, "i": i})],
                                      state=f'{{"seq": {seq}}}' if seq % 2 else None)

    await asyncio.gather(*(room(i) for i in range(40)))
    assert store._appends.calls == 200
    assert store._appends.batches <= 200 // 10, "concurrent writes of 40 rooms went in shared pipelines"
    for i in range(40):
        assert await store.events_since(f"r{i}", 0, 5) == [("answer_stream", {"seq": s, "i": i}) for s in range(1, 6)]
    states = await store.room_states()
    assert len(states) == 40 and all(v == '{"seq": 5}' for v in states.values())
    # a retried write (a flush that failed after Redis stored it) is skipped event by event
    await store.append_events("r0", [(5, "answer_stream", {"seq": 5, "i": 0}), (6, "x", {"seq": 6})])
    assert [n for n, _ in await store.events_since("r0", 0, 6)] == ["answer_stream"] * 5 + ["x"]


async def test_one_rooms_error_reaches_only_that_room(store):
    await store.r.set(store.events_key("bad"), "not a stream")     # XADD on it: WRONGTYPE
    results = await asyncio.gather(
        *(store.append_events(rid, [(1, "x", {"seq": 1})]) for rid in ("a", "bad", "b")), return_exceptions=True)
    assert results[0] is None and results[2] is None
    assert isinstance(results[1], redis.exceptions.ResponseError) and "WRONGTYPE" in str(results[1])
    assert store._appends.batches == 1
    assert await store.last_event_seq("a") == 1 and await store.last_event_seq("b") == 1


async def test_a_script_redis_forgot_is_loaded_again(store):
    await store.append_events("r", [(1, "x", {"seq": 1})])
    await store.r.script_flush()                 # as after a Redis restart
    await store.append_events("r", [(2, "x", {"seq": 2})], state='{"seq": 2}')
    assert await store.last_event_seq("r") == 2 and await store.room_states() == {"r": '{"seq": 2}'}


async def test_a_failed_pipeline_fails_every_caller_and_the_next_batch_works(store):
    await store.append_events("r", [(1, "x", {"seq": 1})])
    real = store.r.pipeline

    def broken(*a, **kw):
        raise redis.exceptions.ConnectionError("Redis is down")
    store.r.pipeline = broken
    results = await asyncio.gather(*(store.append_events(f"r{i}", [(1, "x", {"seq": 1})]) for i in range(3)),
                                   return_exceptions=True)
    assert all(isinstance(r, redis.exceptions.ConnectionError) for r in results)
    store.r.pipeline = real
    await store.append_events("r0", [(1, "x", {"seq": 1})])
    assert await store.last_event_seq("r0") == 1


async def test_fenced_writes_share_a_batch_and_a_lost_lease_refuses_only_its_room():
    prefix = f"test:{uuid.uuid4().hex[:8]}:"
    a, b = FencedRedisStore(REDIS_URL, prefix), FencedRedisStore(REDIS_URL, prefix)
    a.leases, b.leases = Leases(a, "node-a", ttl_ms=5000), Leases(b, "node-b", ttl_ms=5000)
    try:
        for rid in ("r1", "r2", "r3"):
            await a.append_events(rid, [(1, "x", {"seq": 1})])
        await a.r.delete(a.leases.owner_key("r2"))             # r2 expired and b took it; a still believes
        assert await b.leases.acquire("r2") is not None
        before = a._appends.batches
        results = await asyncio.gather(*(a.append_events(rid, [(2, "x", {"seq": 2})], state='{"seq": 2}')
                                         for rid in ("r1", "r2", "r3")), return_exceptions=True)
        assert a._appends.batches == before + 1
        assert results[0] is None and results[2] is None and isinstance(results[1], LeaseLost)
        assert [await a.last_event_seq(r) for r in ("r1", "r2", "r3")] == [2, 1, 2]
        assert await a.r.get(a.state_key("r2")) is None, "nothing of the stale owner was stored"
    finally:
        await b.close()
        await _cleanup(a)
