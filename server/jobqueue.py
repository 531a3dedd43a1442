"""Room jobs off the game process: a taskiq queue on Redis, with the inline fallback.

The game process puts a job on the queue (taskiq ``ListQueueBroker``: a Redis list,
``<prefix>jobs:queue``) and waits for its result on its own reply channel (Redis pub/sub,
``<prefix>jobs:reply:<process>``), so a result comes back at once instead of being polled for.
A worker (``arena worker``, :mod:`server.worker`) takes the job only by *claiming* it first:
``SET <prefix>jobs:claim:<process>:<job_id> <worker> NX``. The same key lets the game process take a job back
race-free, so a job runs once:

| situation | what runs the job |
|---|---|
| no worker heartbeats (``<prefix>jobs:workers``, a sorted set of ``worker id -> last beat ms``) | inline at once: ``no_worker`` |
| no worker claimed it within ``pickup_s`` (all busy, or stuck) | inline, after the game process claims it: ``not_taken`` |
| its worker stops heartbeating (killed mid-job) | inline, the game process overwrites the claim: ``worker_lost`` |
| Redis fails before a worker claimed the job | inline: ``queue_error`` |
| its worker finished | the worker; its result goes back through the job driver |

Inline means as before the queue existed: in this process's thread pool (:class:`server.jobwork.JobWork`).
Each fallback counts in ``arena_job_fallbacks_total``; every job in ``arena_jobs_total{runner}``.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from collections import Counter
from typing import Any, Awaitable, Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError
from taskiq.exceptions import SendTaskError
from taskiq.kicker import AsyncKicker
from taskiq_redis import ListQueueBroker

from . import metrics
from .jobwork import decode_result, encode
from .logs import log

TASK_NAME = "arena.run_job"
HEARTBEAT_S = 0.5            # a worker beats this often
DEAD_AFTER_S = 2.0           # and counts as gone this long after its last beat
CLAIM_TTL_MS = 600_000       # a claim outlives any job, so a late worker never runs a job taken back


def queue_name(prefix: str) -> str:
    return f"{prefix}jobs:queue"


def workers_key(prefix: str) -> str:
    return f"{prefix}jobs:workers"


def claim_key(prefix: str, job_id: str, reply_channel: str) -> str:
    """Per job *and* game process: a room restored in another process (failover) issues its open jobs
    again with their old ids, and must not find them claimed by the dead process's worker."""
    return f"{prefix}jobs:claim:{reply_channel.rsplit(':', 1)[-1]}:{job_id}"


def make_broker(redis_url: str, prefix: str) -> ListQueueBroker:
    """The taskiq broker both sides use (JSON messages on the list :func:`queue_name`).

    No socket timeout: a worker waits in ``BRPOP`` without one, and redis-py's default (5 s) would
    break that wait every 5 s; TCP keepalive notices a dead connection instead."""
    return ListQueueBroker(redis_url, queue_name=queue_name(prefix), max_connection_pool_size=16,
                           socket_timeout=None, socket_keepalive=True)


class JobFailed(RuntimeError):
    """The worker ran the job and it raised (the message says what); the room goes on without it."""


class _Waiting:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.started = asyncio.Event()
        self.done: asyncio.Future = loop.create_future()
        self.worker: str | None = None
        self.pid: int | None = None


class JobQueue:
    """The game process's side of the queue.

    Args:
        redis_url: the game server's Redis.
        prefix: the key prefix (``Config.key_prefix``).
        pickup_s: how long a job may wait for a worker to claim it before it runs inline (s).
    """

    def __init__(self, redis_url: str, prefix: str, *, pickup_s: float = 1.0) -> None:
        self.prefix = prefix
        self.pickup_s = pickup_s
        self.broker = make_broker(redis_url, prefix)
        self.r = Redis.from_url(redis_url)
        self.reply_channel = f"{prefix}jobs:reply:{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._kicker = AsyncKicker(TASK_NAME, self.broker, labels={})
        self._waiting: dict[str, _Waiting] = {}
        self._alive: tuple[float, set[str]] = (0.0, set())
        self._pubsub = None
        self._subscribed = asyncio.Event()
        self._listener: asyncio.Task | None = None
        #: ``(kind, runner) -> jobs``; runner is ``"worker:<pid>"`` or ``"inline"`` (tests read it).
        self.ran: Counter = Counter()
        #: ``(kind, reason) -> jobs`` run inline instead of in a worker.
        self.fallbacks: Counter = Counter()

    async def start(self) -> None:
        """Start listening for replies (in the background: Redis need not be up yet; until the reply
        channel is subscribed, every job runs inline)."""
        await self.broker.startup()
        self._listener = asyncio.create_task(self._listen(), name="job-replies")

    async def stop(self) -> None:
        if self._listener:
            self._listener.cancel()
        if self._pubsub is not None:
            try:
                await self._pubsub.aclose()
            except Exception:
                pass
        await self.broker.shutdown()
        await self.r.aclose()

    async def _listen(self) -> None:
        while True:
            try:
                if self._pubsub is None:
                    self._pubsub = self.r.pubsub(ignore_subscribe_messages=True)
                    await self._pubsub.subscribe(self.reply_channel)
                    self._subscribed.set()
                async for m in self._pubsub.listen():
                    self._on_reply(json.loads(m["data"]))
            except asyncio.CancelledError:
                raise
            except Exception as e:
                log.warning("job_replies_failed", error=f"{type(e).__name__}: {e}"[:200])
                await asyncio.sleep(0.5)

    def _on_reply(self, msg: dict) -> None:
        w = self._waiting.get(msg.get("id", ""))
        if w is None:
            return
        w.worker, w.pid = msg.get("worker"), msg.get("pid")
        w.started.set()
        if msg.get("state") in ("done", "failed") and not w.done.done():
            w.done.set_result(msg)

    async def workers(self) -> set[str]:
        """Ids of the workers that beat within :data:`DEAD_AFTER_S` (read at most twice a second)."""
        now = time.monotonic()
        if now - self._alive[0] >= HEARTBEAT_S:
            since = (time.time() - DEAD_AFTER_S) * 1000
            alive = {m.decode() for m in await self.r.zrangebyscore(workers_key(self.prefix), since, "+inf")}
            self._alive = (now, alive)
        return self._alive[1]

    async def run(self, job: Any, params: dict, deadline_s: float,
                  inline: Callable[[], Awaitable[Any]]) -> Any:
        """``job``'s result, from a worker or from ``inline()`` (see the module's table).

        Args:
            params: the job's parameters (:class:`server.jobwork.JobWork`).
            deadline_s: how long a worker may take once it claimed the job (s), after which the
                room has gone on without it.
            inline: runs the job in this process.

        Raises:
            JobFailed: the worker's run raised. TimeoutError: no result by ``deadline_s``.
            Whatever ``inline()`` raises.
        """
        msg = encode(job, params)
        kind = msg["kind"]
        if not self._subscribed.is_set():
            return await self._inline(kind, "queue_error", inline)
        try:
            if not await self.workers():
                return await self._inline(kind, "no_worker", inline)
        except RedisError:
            return await self._inline(kind, "queue_error", inline)
        loop = asyncio.get_running_loop()
        w = self._waiting[job.job_id] = _Waiting(loop)
        claim = claim_key(self.prefix, job.job_id, self.reply_channel)
        try:
            try:
                await self._kicker.kiq({**msg, "reply": self.reply_channel})
            except SendTaskError:
                return await self._inline(kind, "queue_error", inline)
            try:
                await asyncio.wait_for(w.started.wait(), self.pickup_s)
            except asyncio.TimeoutError:
                try:
                    taken_back = await self.r.set(claim, "inline", nx=True, px=CLAIM_TTL_MS)
                except RedisError:        # Redis away: no worker can claim or answer either
                    return await self._inline(kind, "queue_error", inline)
                if taken_back:
                    return await self._inline(kind, "not_taken", inline)
            end = loop.time() + deadline_s
            while True:
                try:
                    reply = await asyncio.wait_for(asyncio.shield(w.done), HEARTBEAT_S)
                    break
                except asyncio.TimeoutError:
                    if loop.time() > end:
                        raise TimeoutError(f"{kind} job {job.job_id} had no result in {deadline_s:.1f} s") from None
                    try:
                        owner = w.worker or (await self.r.get(claim) or b"").decode() or None
                        lost = bool(owner) and owner != "inline" and owner not in await self.workers()
                        if lost:
                            await self.r.set(claim, "inline", px=CLAIM_TTL_MS)
                    except RedisError:    # a blip: look again next beat, until the deadline
                        continue
                    if lost:
                        log.warning("job_worker_lost", job=kind, job_id=job.job_id, worker=owner)
                        return await self._inline(kind, "worker_lost", inline)
        finally:
            self._waiting.pop(job.job_id, None)
        self.ran[(kind, f"worker:{reply.get('pid')}")] += 1
        metrics.JOBS_RUN.labels(kind, "worker").inc()
        if reply["state"] == "failed":
            raise JobFailed(f"{kind} job {job.job_id} failed in worker {reply.get('worker')}: {reply.get('error')}")
        return decode_result(kind, reply.get("result"))

    async def _inline(self, kind: str, reason: str, inline: Callable[[], Awaitable[Any]]) -> Any:
        metrics.JOB_FALLBACKS.labels(kind, reason).inc()
        metrics.JOBS_RUN.labels(kind, "inline").inc()
        self.ran[(kind, "inline")] += 1
        self.fallbacks[(kind, reason)] += 1
        return await inline()
