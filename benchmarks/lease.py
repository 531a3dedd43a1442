"""What the cluster's fencing costs a room's flush (``docs/cluster.md``), on the real Redis.

In cluster mode every event batch (and state tree) is written by ``FencedRedisStore.append_events``:
WATCH the room's owner key, GET it, then the same MULTI/EXEC as one process
(``RedisStore.append_events``). This times, in the same run and interleaved (so Redis and machine
noise hit both alike), the wall time of one flush's write of a typical batch (3 events and a
~10 KB state tree) without and with the fence, and one lease renewal of ``--rooms`` rooms (one
pipelined round of the compare-and-PEXPIRE script: what a node's heartbeat costs each second).
Prints medians (µs) and the ratio.

Usage: ``python -m benchmarks.lease [--runs 2000] [--rooms 400] [--redis-url redis://127.0.0.1:6379/0]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid

from server.lease import FencedRedisStore, Leases
from server.store.redis_store import RedisStore

STATE = json.dumps({"version": 1, "answers": ["x" * 200] * 50})          # about 10 KB, like a mid-match tree


async def main(runs: int, rooms: int, url: str) -> None:
    prefix = f"bench:{uuid.uuid4().hex[:8]}:"
    plain, fenced = RedisStore(url, prefix), FencedRedisStore(url, prefix)
    fenced.leases = Leases(fenced, "bench", ttl_ms=60_000)
    await fenced.leases.acquire("fenced")
    t_plain, t_fenced = [], []
    try:
        for i in range(runs):
            batch = [(3 * i + k + 1, "answer_submitted", {"seq": 3 * i + k + 1, "text": "y" * 300}) for k in range(3)]
            for store, room, out in ((plain, "plain", t_plain), (fenced, "fenced", t_fenced)):
                t0 = time.perf_counter()
                await store.append_events(room, batch, state=STATE)
                out.append((time.perf_counter() - t0) * 1e6)
        for r in range(rooms):
            await fenced.leases.acquire(f"r{r}")
        t_renew = []
        for _ in range(max(20, runs // 50)):
            t0 = time.perf_counter()
            lost = await fenced.leases.renew_all()
            t_renew.append((time.perf_counter() - t0) * 1e6)
            assert not lost
        mp, mf = statistics.median(t_plain), statistics.median(t_fenced)
        print(f"runs={runs} batch=3 events + {len(STATE) // 1000} KB tree")
        print(f"append_events, one process : median {mp:8.0f} µs")
        print(f"append_events, fenced      : median {mf:8.0f} µs   ratio {mf / mp:.2f}x")
        print(f"renew_all ({rooms + 1} leases, 1 pipeline): median {statistics.median(t_renew):8.0f} µs")
    finally:
        keys = [k async for k in plain.r.scan_iter(match=prefix + "*")]
        if keys:
            await plain.r.delete(*keys)
        await plain.close()
        await fenced.close()


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=2000)
    ap.add_argument("--rooms", type=int, default=400)
    ap.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    a = ap.parse_args()
    asyncio.run(main(a.runs, a.rooms, a.redis_url))
