"""Wires the job queue and the ``arena worker`` children into the game server's app.

``attach_workers`` gives the :class:`~server.runtime.RoomManager` a
:class:`~server.jobqueue.JobQueue` (unless ``cfg.job_queue`` is off) and, for ``cfg.workers`` > 0,
as many supervised ``arena worker`` children (restarted with backoff, like the media sidecar).
Each child gets this process's Redis, PostgreSQL and key prefix, and ``--parent-pid``: it exits
by itself if this process dies, even by ``kill -9``.
"""

from __future__ import annotations

import os
import sys

from aiohttp import web

from .config import Config
from .jobqueue import JobQueue
from .media_bridge import MediaSupervisor


def worker_supervisors(cfg: Config) -> list[MediaSupervisor]:
    """``cfg.workers`` supervisors of ``python -m server.cli worker --parent-pid <this pid>``."""
    argv = [sys.executable, "-m", "server.cli", "worker", "--parent-pid", str(os.getpid())]
    env = {"DATABASE_URL": cfg.database_url or "", "ARENA_KEY_PREFIX": cfg.key_prefix}
    return [MediaSupervisor(cfg.redis_url, argv, name="worker", env=env) for _ in range(cfg.workers)]


def attach_workers(app: web.Application, cfg: Config, manager) -> None:
    """Start the queue and the children with the app, stop them at its cleanup (children first)."""
    queue = JobQueue(cfg.redis_url, cfg.key_prefix, pickup_s=cfg.job_pickup_ms / 1000) if cfg.job_queue else None
    children = worker_supervisors(cfg)
    app["job_queue"], app["worker_supervisors"] = queue, children

    async def start(app: web.Application) -> None:
        for c in children:
            c.start()
        if queue is not None:
            await queue.start()
            manager.queue = queue

    async def stop(app: web.Application) -> None:
        for c in children:
            await c.stop()
        if queue is not None:
            manager.queue = None
            await queue.stop()

    app.on_startup.append(start)
    app.on_cleanup.insert(0, stop)
