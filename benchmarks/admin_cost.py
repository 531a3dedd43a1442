"""What python-socketio's ``instrument()`` (the Socket.IO Admin UI, ``docs/operators.md``) costs the game
server: server CPU per acknowledged event with the admin tools off (no credential) and on
(``production`` mode, and optionally ``development``), in alternating rounds of the same run.

    .venv/bin/python -m benchmarks.admin_cost [--clients 20] [--calls 500] [--rounds 3] [--dev]

Each round starts ``arena serve`` pinned to CPU 0 (this driver runs on CPU 1), connects ``clients``
python-socketio clients over websockets and has each make ``calls`` sequential ``list_rooms`` calls
(one packet in, one ack out). The figure is the server process's CPU time (``/proc/<pid>/stat``
utime + stime) over those calls, per call. Prints the medians and the ratio on / off.
Needs REDIS_URL and DATABASE_URL (the test services); leaves no keys behind.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
import uuid

import aiohttp
import redis
import socketio

from tests.conftest import free_port

CLK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK


async def one_round(mode: str | None, clients: int, calls: int) -> float:
    """Server CPU µs per ``list_rooms`` call; ``mode`` None: admin off."""
    prefix, port = f"bench:{uuid.uuid4().hex[:8]}:", free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARENA_ADMIN_")}
    env.update(ARENA_KEY_PREFIX=prefix, ARENA_MEDIA="0", ARENA_WORKERS="0", ARENA_RATE_LIMITS="0",
               ARENA_LOG_LEVEL="warning", ARENA_RESTORE_ROOMS="0", ARENA_JWT_SECRET="bench-admin-cost-secret-0123")
    if mode:
        env.update(ARENA_ADMIN_PASSWORD="bench-password", ARENA_ADMIN_UI_MODE=mode)
    proc = subprocess.Popen(["taskset", "-c", "0", sys.executable, "-m", "server.cli", "serve", "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    socks: list[socketio.AsyncClient] = []
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(600):
                try:
                    async with http.get(f"{base}/healthz") as r:
                        if r.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.2)
            tokens = []
            for i in range(clients):
                async with http.post(f"{base}/api/v1/auth/guest", json={"display_name": f"b{i}"}) as r:
                    tokens.append((await r.json())["token"])
        for tok in tokens:
            c = socketio.AsyncClient(reconnection=False)
            await c.connect(base, auth={"token": tok}, transports=["websocket"], wait_timeout=10)
            socks.append(c)

        async def caller(c: socketio.AsyncClient, n: int) -> None:
            for _ in range(n):
                assert (await c.call("list_rooms", {}, timeout=30))["ok"]

        await asyncio.gather(*(caller(c, 20) for c in socks))            # warm up
        await asyncio.sleep(0.5)
        before = cpu_seconds(proc.pid)
        await asyncio.gather(*(caller(c, calls) for c in socks))
        used = cpu_seconds(proc.pid) - before
        return used * 1e6 / (clients * calls)
    finally:
        for c in socks:
            await c.disconnect()
        proc.terminate()
        proc.wait(30)
        r = redis.Redis.from_url(os.environ["REDIS_URL"])
        keys = list(r.scan_iter(match=prefix + "*"))
        if keys:
            r.delete(*keys)
        r.close()


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--calls", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--dev", action="store_true", help="also measure development mode")
    a = ap.parse_args()
    os.sched_setaffinity(0, {1})
    modes: list[str | None] = [None, "production"] + (["development"] if a.dev else [])
    runs: dict[str | None, list[float]] = {m: [] for m in modes}
    for i in range(a.rounds):
        for m in modes:
            us = await one_round(m, a.clients, a.calls)
            runs[m].append(us)
            print(f"round {i + 1} {m or 'off':<11} {us:8.1f} µs server CPU per call", flush=True)
    off = statistics.median(runs[None])
    print(f"\n{a.clients} clients x {a.calls} list_rooms calls, {a.rounds} rounds (medians)")
    print("| admin tools | server CPU µs per call | ratio to off |\n|---|---|---|")
    for m in modes:
        med = statistics.median(runs[m])
        print(f"| {m or 'off (no credential)'} | {med:.1f} | {med / off:.3f} |")


if __name__ == "__main__":
    t0 = time.time()
    asyncio.run(main())
    print(f"({time.time() - t0:.0f} s)")
