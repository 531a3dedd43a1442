"""``arena worker``: a process that runs room jobs (scoring, persona answers, follow-ups, the judge,
match storage) from the job queue (:mod:`server.jobqueue`), so the game process keeps only the
rooms, the sockets and the fan-out.

One worker runs up to ``concurrency`` jobs at once on its event loop (taskiq's receiver); CPU
work goes to a thread pool of ``threads``. It beats every :data:`server.jobqueue.HEARTBEAT_S` into
``<prefix>jobs:workers``, claims each job before it runs it, and publishes ``started`` and then
``done`` (with the result) or ``failed`` (with the error) to the job's reply channel. It stops on
SIGTERM/SIGINT, and by itself when its parent ``arena serve`` is gone (:func:`watch_parent`).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from redis.asyncio import Redis
from taskiq.receiver import Receiver

from .config import Config
from .jobqueue import CLAIM_TTL_MS, DEAD_AFTER_S, HEARTBEAT_S, TASK_NAME, claim_key, make_broker, workers_key
from .jobwork import JobWork, decode, encode_result
from .logs import log, setup_logging


class Worker:
    """One worker process's state.

    Args:
        cfg: ``REDIS_URL``, ``DATABASE_URL`` and ``ARENA_KEY_PREFIX`` as for ``arena serve``
            (both must be set: a worker never starts embedded services).
        concurrency: jobs run at once.
        threads: the CPU thread pool's size.
    """

    def __init__(self, cfg: Config, *, concurrency: int = 8, threads: int = 2) -> None:
        if not cfg.redis_url or not cfg.database_url:
            raise ValueError("arena worker needs REDIS_URL and DATABASE_URL")
        self.cfg = cfg
        self.concurrency = concurrency
        self.id = f"{socket.gethostname()}:{os.getpid()}"
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="arena-worker")
        self.broker = make_broker(cfg.redis_url, cfg.key_prefix)

        async def run_job(msg: dict) -> None:           # taskiq wants a function, not a bound method
            await self.handle(msg)

        self.broker.register_task(run_job, task_name=TASK_NAME)
        self.r = Redis.from_url(cfg.redis_url)
        self.work: JobWork | None = None
        self.jobs_done = 0
        # Fault injection for the tests (docs/workers.md): hold every job this long before its work.
        self.delay_s = float(os.environ.get("ARENA_WORKER_DELAY_MS", 0)) / 1000

    async def open(self) -> None:
        """Load the scorer, the personas and the result store (seconds: before the first beat)."""
        from personas.answerer import Answerer
        from rooms.questions import default_bank
        from scoring.factory import default_scorer

        from .store.results import ResultStore

        results = ResultStore(self.cfg.database_url)
        await results.open()
        scorers: dict[int, object] = {}

        def scorer_for(answer_seconds: int):
            if answer_seconds not in scorers:
                scorers[answer_seconds] = default_scorer(answer_seconds)
            return scorers[answer_seconds]

        self.work = JobWork(Answerer(), default_bank(), scorer_for, results, self.pool)
        loop = asyncio.get_running_loop()
        t0 = time.perf_counter()
        scorer = scorer_for(90)
        if hasattr(scorer, "warm_up"):
            await loop.run_in_executor(self.pool, scorer.warm_up)
        await loop.run_in_executor(self.pool, self.work.answerer.warm_up)
        log.info("worker_ready", worker=self.id, seconds=round(time.perf_counter() - t0, 2))

    async def handle(self, msg: dict) -> None:
        """The taskiq task: claim the job, run it, publish the result to its reply channel."""
        job_id = str(msg.get("job", {}).get("job_id", ""))
        reply = str(msg.get("reply") or "")
        if not await self.r.set(claim_key(self.cfg.key_prefix, job_id, reply), self.id, nx=True, px=CLAIM_TTL_MS):
            return                                   # taken back by the game process (or another worker)
        base = {"id": job_id, "worker": self.id, "pid": os.getpid()}
        await self.r.publish(reply, json.dumps({**base, "state": "started"}))
        kind = msg.get("kind", "?")
        t0 = time.perf_counter()
        try:
            if self.delay_s:
                await asyncio.sleep(self.delay_s)
            job, params = decode(msg)
            result = encode_result(kind, await self.work.run(job, params))
            out = {**base, "state": "done", "result": result}
        except Exception as e:
            log.exception("worker_job_failed", job=kind, job_id=job_id)
            out = {**base, "state": "failed", "error": f"{type(e).__name__}: {e}"[:500]}
        self.jobs_done += 1
        await self.r.publish(reply, json.dumps(out, ensure_ascii=False))
        log.debug("worker_job_done", job=kind, job_id=job_id, seconds=round(time.perf_counter() - t0, 3))

    async def _beat(self, stop: asyncio.Event) -> None:
        key = workers_key(self.cfg.key_prefix)
        while not stop.is_set():
            now_ms = time.time() * 1000
            try:
                await self.r.zadd(key, {self.id: now_ms})
                await self.r.zremrangebyscore(key, "-inf", now_ms - 10 * DEAD_AFTER_S * 1000)
                await self.r.expire(key, 3600)
            except Exception as e:                   # Redis away: the game process falls back inline
                log.warning("worker_heartbeat_failed", error=str(e))
            try:
                await asyncio.wait_for(stop.wait(), HEARTBEAT_S)
            except asyncio.TimeoutError:
                pass

    async def _receive(self, stop: asyncio.Event) -> None:
        """taskiq's receiver, restarted after a second when it fails (Redis away), not in a tight loop."""
        while not stop.is_set():
            try:
                await Receiver(self.broker, executor=self.pool, validate_params=False,
                               max_async_tasks=self.concurrency, run_startup=False).listen(asyncio.Event())
            except asyncio.CancelledError:
                raise
            except Exception as e:
                log.warning("worker_receiver_failed", error=f"{type(e).__name__}: {e}"[:200])
            await asyncio.sleep(1.0)

    async def run(self) -> None:
        """Serve jobs until SIGTERM/SIGINT (or the parent is gone)."""
        await self.open()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        self.broker.is_worker_process = True
        await self.broker.startup()
        beat = asyncio.create_task(self._beat(stop))
        receiver = asyncio.create_task(self._receive(stop))
        log.info("worker_serving", worker=self.id, concurrency=self.concurrency)
        await stop.wait()
        receiver.cancel()
        await asyncio.gather(receiver, beat, return_exceptions=True)
        try:
            await self.r.zrem(workers_key(self.cfg.key_prefix), self.id)
        except Exception:
            pass
        await self.broker.shutdown()
        await self.r.aclose()
        await self.work.results.close()
        self.pool.shutdown(wait=False, cancel_futures=True)
        log.info("worker_stopped", worker=self.id, jobs=self.jobs_done)


def watch_parent(parent_pid: int, interval_s: float = 0.5) -> threading.Thread:
    """A daemon thread that sends this process SIGTERM once ``parent_pid`` is no longer its parent
    (it died, even by ``kill -9``, and the process was re-parented). Runs from the very start, so a
    worker still loading its models goes too."""
    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(interval_s)
        log.warning("worker_parent_gone", parent=parent_pid)
        os.kill(os.getpid(), signal.SIGTERM)

    t = threading.Thread(target=watch, name="parent-watch", daemon=True)
    t.start()
    return t


def run_worker(concurrency: int = 8, threads: int = 2, parent_pid: int | None = None) -> int:
    """``arena worker``: configuration from the environment (:class:`server.config.Config`)."""
    cfg = Config.from_env()
    setup_logging(cfg.log_level)
    if parent_pid is not None:
        watch_parent(parent_pid)
    try:
        worker = Worker(cfg, concurrency=concurrency, threads=threads)
    except ValueError as e:              # as the other commands: a JSON error and exit 2
        sys.stdout.write(json.dumps({"error": {"code": "bad_config", "message": str(e)}}) + "\n")
        return 2
    asyncio.run(worker.run())
    return 0
