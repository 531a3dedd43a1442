"""One task ticks every room (``server/ticker.py``), on the real Redis: each room is ticked at its rate,
spread over the interval, with no task per room; a room with nothing to deliver is not flushed, and what a
tick queues is delivered without anyone calling flush; an empty room is disposed by its ticks."""

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
async def manager():
    prefix = f"test:{uuid.uuid4().hex[:8]}:"
    store = RedisStore(REDIS_URL, prefix)
    sent: list[tuple[str, dict, str]] = []

    async def emit(name, data, room=None, to=None):
        sent.append((name, data, room))

    mgr = RoomManager(emit, store, results=None, time_scale=0.05, tick_hz=20)
    mgr.sent = sent
    yield mgr
    await mgr.stop()
    r = redis.asyncio.from_url(REDIS_URL)
    keys = [k async for k in r.scan_iter(match=prefix + "*")]
    if keys:
        await r.delete(*keys)
    await r.aclose()
    await store.close()


async def test_every_room_ticks_at_its_rate_from_one_task(manager):
    rooms = [manager.create_room(f"h{i}", f"H{i}", RoomSettings(title=f"r{i}", max_humans=4)) for i in range(30)]
    counts = {r.room_id: 0 for r in rooms}
    for r in rooms:
        tick = r.tick

        def counted(tick=tick, rid=r.room_id):
            counts[rid] += 1
            tick()
        r.tick = counted
    await asyncio.sleep(1.0)
    assert all(14 <= n <= 22 for n in counts.values()), counts          # 20 Hz
    ticker = manager.ticker_for(20)
    assert len(ticker) == 30 and len(ticker.slots) == 5
    assert sorted(len(s) for s in ticker.slots) == [6] * 5, "rooms are spread over the interval"
    names = [t.get_name() for t in asyncio.all_tasks()]
    assert sum(n.startswith("room-ticker") for n in names) == 1
    assert not any(n.startswith("room-") and not n.startswith("room-ticker") for n in names), "no task per room"


async def test_only_a_room_with_something_to_deliver_is_flushed(manager):
    room = manager.create_room("host", "Host", RoomSettings(title="quiet", max_humans=4))
    host = manager.hosts[room.room_id]
    await host.flush()
    flushes = 0
    flush = host.flush

    async def counted():
        nonlocal flushes
        flushes += 1
        await flush()
    host.flush = counted
    await asyncio.sleep(0.3)                       # a lobby with nobody doing anything: 6 ticks
    assert flushes == 0
    room.join("u2", "Bora")                        # queued by a command; the next tick delivers it
    await asyncio.sleep(0.3)
    assert flushes >= 1
    joined = [d for n, d, _ in manager.sent if n == "participant_joined"]
    assert joined and joined[-1]["seq"] == room.seq and host.sent_seq == room.seq
    assert await manager.redis.events_since(room.room_id, 0, room.seq) == [(n, d) for n, d, _ in manager.sent]


async def test_an_empty_room_is_disposed_by_its_ticks(manager):
    room = manager.create_room("host", "Host", RoomSettings(title="empty", max_humans=4))
    await manager.hosts[room.room_id].flush()
    room.leave("host")                             # empty: linger 30 s x 0.05 = 1.5 s, then disposed
    for _ in range(60):                            # dispose pops the host first, then flushes, then stops it
        if room.room_id not in manager.hosts and len(manager.ticker_for(20)) == 0:
            break
        await asyncio.sleep(0.1)
    assert room.room_id not in manager.hosts
    assert len(manager.ticker_for(20)) == 0
    assert await manager.redis.last_event_seq(room.room_id) == 0, "its stream was dropped"
