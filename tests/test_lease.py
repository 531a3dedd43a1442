"""Room leases on real Redis (``server/lease.py``): one owner at a time, and a stale owner cannot
write after losing its lease (fencing by the lease token)."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from server.lease import FencedRedisStore, LeaseLost, Leases, node_of
from tests.conftest import REDIS_URL


@pytest.fixture
async def stores():
    prefix = f"test:{uuid.uuid4().hex[:8]}:"
    a, b = FencedRedisStore(REDIS_URL, prefix), FencedRedisStore(REDIS_URL, prefix)
    a.leases, b.leases = Leases(a, "node-a", ttl_ms=300), Leases(b, "node-b", ttl_ms=300)
    yield a, b
    keys = [k async for k in a.r.scan_iter(match=prefix + "*")]
    if keys:
        await a.r.delete(*keys)
    await a.close()
    await b.close()


async def test_one_owner_at_a_time_with_growing_epochs(stores):
    a, b = stores
    ta = await a.leases.acquire("r1")
    assert node_of(ta) == "node-a" and ta.endswith(":1")
    assert await b.leases.acquire("r1") is None, "held by a"
    assert await a.leases.renew_all() == []
    await asyncio.sleep(0.2)
    assert await a.leases.renew_all() == []            # renewed: still a's after more than one TTL
    await asyncio.sleep(0.2)
    assert await b.leases.acquire("r1") is None
    await a.leases.release("r1")
    tb = await b.leases.acquire("r1")
    assert node_of(tb) == "node-b" and tb.endswith(":2"), "a new epoch for the new owner"


async def test_a_stale_owner_cannot_write_after_losing_the_lease(stores):
    a, b = stores
    await a.append_events("r2", [(1, "phase_changed", {"seq": 1})], state='{"seq": 1}')   # first write leases
    assert node_of(await a.r.get(a.leases.owner_key("r2"))) == "node-a"
    await asyncio.sleep(0.4)                                                  # a misses its renewals
    assert await b.leases.acquire("r2") is not None
    with pytest.raises(LeaseLost):
        await a.append_events("r2", [(2, "turn_started", {"seq": 2})], state='{"seq": 2}')
    assert await a.last_event_seq("r2") == 1, "nothing of the stale owner reached the stream"
    assert await a.r.get(a.state_key("r2")) == '{"seq": 1}'
    assert await a.leases.renew_all() == [] and "r2" not in a.leases.held
    await b.append_events("r2", [(2, "turn_started", {"seq": 2})], state='{"seq": 2}')
    assert await b.last_event_seq("r2") == 2
    # a retried batch (a flush that failed after the write) is skipped event by event, as in one process
    await b.append_events("r2", [(2, "turn_started", {"seq": 2}), (3, "x", {"seq": 3})], state='{"seq": 3}')
    assert await b.events_since("r2", 0, 3) == [("phase_changed", {"seq": 1}), ("turn_started", {"seq": 2}),
                                                ("x", {"seq": 3})]
    assert await b.room_states() == {"r2": '{"seq": 3}'}


async def test_a_lease_taken_over_while_the_owner_still_believes_it_holds_it(stores):
    """The owner's local view says the lease is valid, but Redis holds another token: the WATCHed
    transaction refuses the write, and the renewal reports the room lost."""
    a, b = stores
    a.leases.ttl_ms = b.leases.ttl_ms = 5000
    await a.append_events("r3", [(1, "x", {"seq": 1})])
    await a.r.delete(a.leases.owner_key("r3"))                    # as if it had expired
    assert await b.leases.acquire("r3") is not None
    assert a.leases.token("r3") is not None                       # a still believes it owns r3
    with pytest.raises(LeaseLost):
        await a.append_events("r3", [(2, "x", {"seq": 2})])
    assert await a.leases.renew_all() == ["r3"]
    await a.forget_room("r3")                                     # not the owner: deletes nothing
    assert node_of(await b.r.get(b.leases.owner_key("r3"))) == "node-b"
