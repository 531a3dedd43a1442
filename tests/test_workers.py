"""Room jobs in worker processes (``arena worker``) over the real job queue on the real Redis, with a
real Socket.IO match: the jobs run in the worker; with no worker they run inline; a worker killed
mid-job loses nothing (docs/workers.md)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict

import aiohttp

from tests.conftest import DATABASE_URL, REDIS_URL, running_server
from tests.test_e2e_match import bot

ROOM = {"title": "workers", "personas": [{"id": "naver", "skill": 4}, {"id": "toss", "skill": 2}],
        "question_count": 2, "language": "ko", "turn_mode": "round_robin", "answer_seconds": 20, "max_humans": 2}


def start_worker(prefix: str, **env) -> subprocess.Popen:
    """``arena worker`` as a real child process on the test server's Redis key prefix."""
    return subprocess.Popen([sys.executable, "-m", "server.cli", "worker", "--concurrency", "8"],
                            env={**os.environ, "REDIS_URL": REDIS_URL, "DATABASE_URL": DATABASE_URL,
                                 "ARENA_KEY_PREFIX": prefix, "ARENA_LOG_LEVEL": "warning",
                                 "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", **env})


async def wait_beating(queue, proc: subprocess.Popen, timeout: float = 120) -> str:
    """The worker's id once its heartbeat is in Redis (it loads the scorer first)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        assert proc.poll() is None, f"worker exited with {proc.returncode}"
        ids = [w for w in await queue.workers() if w.endswith(f":{proc.pid}")]
        if ids:
            return ids[0]
        await asyncio.sleep(0.25)
    raise AssertionError("the worker never beat")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


async def play(srv, on_tick=None, room: dict = ROOM) -> tuple[str, list]:
    """Two humans + two AI play ``room`` to the end; returns the room id and the players."""
    host, p2 = await srv.player("Ari"), await srv.player("Bora")
    ack = await host.call("create_room", room)
    assert ack["ok"], ack
    assert (await p2.call("join_room", {"room_id": ack["room_id"]}))["ok"]
    assert (await p2.call("set_ready", {"ready": True}))["ok"]
    halt = asyncio.Event()
    bots = [asyncio.create_task(bot(p, halt)) for p in (host, p2)]
    watcher = asyncio.create_task(on_tick()) if on_tick else None
    assert (await host.call("start_match"))["ok"]
    try:
        await asyncio.gather(*(p.wait_for(lambda p=p: p.of("session_complete"), timeout=110) for p in (host, p2)))
    finally:
        halt.set()
        await asyncio.gather(*bots)
        if watcher:
            watcher.cancel()
    return ack["room_id"], [host, p2]


def assert_complete(players: list, follow_ups: bool = False) -> None:
    """Every answer was scored (a follow-up counts within its candidate's score for the question), and
    the final board is the sum of the scores."""
    host = players[0]
    submitted = host.of("answer_submitted")
    scores = host.of("score_update")
    assert len(submitted) == ROOM["question_count"] * (4 + follow_ups) and len(scores) == ROOM["question_count"] * 4
    sums = defaultdict(int)
    for d in scores:
        sums[d["participant_id"]] += d["score"]
    ranking = host.of("session_complete")[0]["ranking"]
    assert {e["participant_id"]: e["score"] for e in ranking} == dict(sums)


async def test_a_match_runs_its_jobs_in_the_worker_process():
    async with running_server(time_scale=0.15, job_pickup_ms=3000) as srv:
        queue = srv.app["job_queue"]
        proc = start_worker(srv.prefix)
        try:
            await wait_beating(queue, proc)
            room_id, players = await play(srv, room={**ROOM, "follow_ups": True})
        finally:
            stop(proc)
        assert_complete(players, follow_ups=True)
        runners = {runner for (_, runner) in queue.ran}
        assert runners == {f"worker:{proc.pid}"}, queue.ran      # the worker's pid, never inline
        kinds = {kind for (kind, _) in queue.ran}
        assert kinds == {"ai_answer", "follow_up", "score", "store_match"}, queue.ran
        assert queue.ran[("score", f"worker:{proc.pid}")] == ROOM["question_count"]
        url = players[0].of("session_complete")[0]["report_url"]
        assert url == f"/api/v1/rooms/{room_id}/report", "the worker stored the match"
        async with aiohttp.ClientSession() as http:
            async with http.get(srv.base + url, headers={"Authorization": f"Bearer {players[0].token}"}) as resp:
                assert resp.status == 200
                assert len((await resp.json())["questions"]) == ROOM["question_count"]
        assert proc.returncode == 0, "SIGTERM stops the worker cleanly"


async def test_with_no_worker_every_job_runs_inline_and_the_match_completes():
    async with running_server(time_scale=0.1) as srv:
        queue = srv.app["job_queue"]
        _, players = await play(srv)
        assert_complete(players)
        assert {runner for (_, runner) in queue.ran} == {"inline"}
        assert {reason for (_, reason) in queue.fallbacks} == {"no_worker"}
        assert players[0].of("session_complete")[0]["report_url"]
        assert await srv.app["redis"].r.llen(f"{srv.prefix}jobs:queue") == 0, "nothing was queued"


async def test_a_worker_killed_mid_job_loses_nothing():
    # The worker holds every job 2 s before its work (fault injection), so it is killed while holding one.
    async with running_server(time_scale=0.25, job_pickup_ms=1000) as srv:
        queue, r = srv.app["job_queue"], srv.app["redis"].r
        proc = start_worker(srv.prefix, ARENA_WORKER_DELAY_MS="2000")
        killed = asyncio.Event()

        async def kill_on_first_claim() -> None:
            worker_id = await wait_beating(queue, proc)
            while True:
                async for key in r.scan_iter(match=f"{srv.prefix}jobs:claim:*"):
                    if await r.get(key) == worker_id:
                        proc.send_signal(signal.SIGKILL)
                        killed.set()
                        return
                await asyncio.sleep(0.02)

        try:
            await wait_beating(queue, proc)
            _, players = await play(srv, on_tick=kill_on_first_claim)
        finally:
            stop(proc)
        assert killed.is_set() and proc.returncode == -signal.SIGKILL
        assert sum(n for (_, reason), n in queue.fallbacks.items() if reason == "worker_lost") >= 1, queue.fallbacks
        assert_complete(players)
        assert players[0].of("session_complete")[0]["report_url"], "stored inline after the worker died"


def test_arena_serve_starts_a_worker_and_its_kill_9_takes_the_worker_down(tmp_path):
    import uuid

    import psutil

    from tests.conftest import free_port

    port = free_port()
    env = {**os.environ, "REDIS_URL": REDIS_URL, "DATABASE_URL": DATABASE_URL, "ARENA_MEDIA": "0",
           "ARENA_LOG_LEVEL": "warning", "ARENA_KEY_PREFIX": f"test:{uuid.uuid4().hex[:8]}:"}
    env.pop("ARENA_WORKERS", None)                    # the default: one worker
    serve = subprocess.Popen([sys.executable, "-m", "server.cli", "serve", "--port", str(port)], env=env,
                             stdout=subprocess.DEVNULL, stderr=open(tmp_path / "serve.log", "w"))
    try:
        end, workers = time.monotonic() + 60, []
        while time.monotonic() < end and not workers:
            assert serve.poll() is None, (tmp_path / "serve.log").read_text()[-2000:]
            workers = [c for c in psutil.Process(serve.pid).children() if "worker" in c.cmdline()]
            time.sleep(0.2)
        assert len(workers) == 1, "arena serve starts one worker by default"
        assert "--parent-pid" in workers[0].cmdline()
        serve.kill()                                  # kill -9: no cleanup runs in the parent
        serve.wait(10)
        gone, alive = psutil.wait_procs(workers, timeout=10)
        assert not alive, "the orphaned worker exits by itself"
    finally:
        if serve.poll() is None:
            serve.kill()


def test_arena_worker_without_its_services_says_so():
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    out = subprocess.run([sys.executable, "-m", "server.cli", "worker"], env=env, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 2
    assert '"code": "bad_config"' in out.stdout and "REDIS_URL and DATABASE_URL" in out.stdout
