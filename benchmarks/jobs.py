"""``make bench-jobs``: what room jobs cost the game process's event loop, inline vs in a worker process.

The same job stream (per question: one ``ScoreJob`` of 7 answers, scored by the server's default scorer,
and two persona ``AIAnswerJob``s from the offline engine), sent at a fixed rate, runs alternately

- ``inline``: in this process's thread pool, as ``arena serve --workers 0`` does (``JobWork``), and
- ``worker``: through the real job queue on Redis to a real ``arena worker`` subprocess (``JobQueue``),

while a probe measures the loop's lag (a 5 ms sleep's overshoot) and ``time.process_time`` the CPU this
process spent. Rounds alternate (inline, worker, inline, ...), so both modes see the same machine.

Usage: ``python -m benchmarks.jobs [--questions 30] [--rate 4] [--rounds 3]`` (rate: questions per second).
Needs Redis and PostgreSQL (``REDIS_URL``, ``DATABASE_URL``; default the local ones).
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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from rooms.jobs import AIAnswerJob, ScoreJob
from rooms.questions import default_bank
from rooms.scoring import AnswerToScore

ANSWERS = [
    "When our checkout API slowed down I measured p99 latency first, found a missing index, added it and cut "
    "p99 from 800 ms to 120 ms; the trade-off was write cost, which we batched.",
    "I would clarify the goal with the team, split the work, and check progress daily so we catch delays early.",
    "I don't know.",
    "In my last project I owned the migration plan: we ran both systems side by side for two weeks, compared "
    "results every night and switched over without downtime.",
    "I think communication matters most, so I listen first and then explain my view with data.",
    "We had a conflict about the deadline; I proposed cutting scope, we agreed on a smaller release and shipped on time.",
    "Caching helps, but invalidation is hard; I would start with a short TTL and measure the hit rate.",
]


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))] if xs else 0.0


def job_stream(n: int) -> list[list]:
    """``n`` questions' jobs: [[ScoreJob, AIAnswerJob, AIAnswerJob], ...] (English bank questions)."""
    qs = [q for q in default_bank()][:n]
    out = []
    for i, q in enumerate(qs):
        rid = f"bench{i}"
        answers = tuple(AnswerToScore(f"{rid}-a{k}", f"p{k}", a) for k, a in enumerate(ANSWERS))
        score = ScoreJob(f"{rid}-s", rid, q.id, "en", 20, answers)
        ai = [AIAnswerJob(f"{rid}-ai{k}", rid, f"ai:{p}", p, 3, q.id, q.text("en"), q.category, "en", i, 15_000)
              for k, p in enumerate(("naver", "toss"))]
        out.append([score, *ai])
    return out


async def probe(stop: asyncio.Event, lags: list[float]) -> None:
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        t0 = loop.time()
        await asyncio.sleep(0.005)
        lags.append((loop.time() - t0 - 0.005) * 1000)


async def one_round(mode: str, stream: list[list], rate: float, work, queue) -> dict:
    lags: list[float] = []
    latencies: list[float] = []
    stop = asyncio.Event()
    prober = asyncio.create_task(probe(stop, lags))
    cpu0, t0 = time.process_time(), time.perf_counter()

    async def run(job) -> None:
        params = {"scoring_timeout_ms": 20_000} if isinstance(job, ScoreJob) else {"time_scale": 1.0}
        s = time.perf_counter()
        if mode == "inline":
            await work.run(job, params)
        else:
            await queue.run(job, params, 20.0, lambda: work.run(job, params))
        latencies.append((time.perf_counter() - s) * 1000)

    tasks, tag = [], uuid.uuid4().hex[:6]         # job ids are claimed once: fresh ids each round
    for jobs in stream:
        tasks += [asyncio.create_task(run(replace(j, job_id=f"{j.job_id}-{tag}"))) for j in jobs]
        await asyncio.sleep(1 / rate)
    await asyncio.gather(*tasks)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - t0
    stop.set()
    await prober
    n = sum(len(j) for j in stream)
    return {"mode": mode, "jobs": n, "lag_p50": statistics.median(lags), "lag_p99": pct(lags, 0.99),
            "lag_max": max(lags), "cpu_ms_per_job": 1000 * cpu / n, "cpu_share": cpu / wall,
            "job_p50": statistics.median(latencies), "job_p99": pct(latencies, 0.99)}


async def main_async(a: argparse.Namespace) -> None:
    from personas.answerer import Answerer
    from scoring.factory import default_scorer
    from server.jobqueue import JobQueue
    from server.jobwork import JobWork

    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    db_url = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    prefix = f"bench:{uuid.uuid4().hex[:8]}:"
    scorer = default_scorer(20)
    if hasattr(scorer, "warm_up"):
        scorer.warm_up()
    answerer = Answerer(llm=None)
    answerer.warm_up()
    work = JobWork(answerer, default_bank(), lambda s: scorer, None, ThreadPoolExecutor(2, thread_name_prefix="job"))
    queue = JobQueue(redis_url, prefix, pickup_s=5.0)
    await queue.start()
    worker = subprocess.Popen([sys.executable, "-m", "server.cli", "worker"],
                              env={**os.environ, "REDIS_URL": redis_url, "DATABASE_URL": db_url,
                                   "ARENA_KEY_PREFIX": prefix, "ARENA_LOG_LEVEL": "warning"})
    try:
        while not await queue.workers():
            assert worker.poll() is None, "the worker exited"
            await asyncio.sleep(0.25)
        stream = job_stream(a.questions)
        await one_round("inline", stream[:3], a.rate, work, queue)          # warm both paths
        await one_round("worker", stream[:3], a.rate, work, queue)
        rows = []
        for _ in range(a.rounds):
            for mode in ("inline", "worker"):
                rows.append(await one_round(mode, stream, a.rate, work, queue))
    finally:
        worker.terminate()
        worker.wait(15)
        await queue.stop()
    print(f"\n{a.questions} questions x 3 jobs at {a.rate}/s, {a.rounds} rounds per mode; "
          f"fallbacks: {dict(queue.fallbacks) or 'none'}")
    print(f"{'mode':<7} {'jobs':>5} {'loop lag p50':>13} {'p99':>8} {'max':>8} {'game CPU/job':>13} "
          f"{'game CPU':>9} {'job p50':>8} {'job p99':>8}")
    for r in rows:
        print(f"{r['mode']:<7} {r['jobs']:>5} {r['lag_p50']:>10.2f} ms {r['lag_p99']:>5.1f} ms {r['lag_max']:>5.0f} ms "
              f"{r['cpu_ms_per_job']:>10.1f} ms {100 * r['cpu_share']:>8.0f}% {r['job_p50']:>5.0f} ms {r['job_p99']:>5.0f} ms")
    for key in ("lag_p99", "cpu_ms_per_job"):
        inl = statistics.median(r[key] for r in rows if r["mode"] == "inline")
        wrk = statistics.median(r[key] for r in rows if r["mode"] == "worker")
        print(f"{key}: worker / inline = {wrk / inl:.2f}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--questions", type=int, default=30)
    ap.add_argument("--rate", type=float, default=4.0, help="questions per second")
    ap.add_argument("--rounds", type=int, default=3)
    asyncio.run(main_async(ap.parse_args()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
