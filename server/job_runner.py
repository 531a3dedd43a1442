"""Background jobs inside the server process: rows in PostgreSQL, work in a task, progress to subscribers.

A job is ``async fn(progress) -> result dict | None``; ``progress(p)`` (0-100) may be called from any
thread (the CPU part of a job runs in a thread pool). The runner

* writes the row (``jobs``: ``queued`` → ``running`` → ``done`` | ``failed``, ``progress``) through
  :class:`server.store.jobs.JobStore` (progress at most every :data:`PROGRESS_STEP` points, so a chatty
  job does not flood the database);
* runs at most ``max_concurrent`` jobs at once (the machine has two cores);
* pushes every change ``{job_id, state, progress, error?}`` to the queues of :meth:`subscribe`
  (the SSE route streams them).

Jobs still queued or running when a process stopped are marked failed at the next start
(:meth:`start`). The interface (``submit`` with a coroutine function, ``progress``) is what an arq
worker would need, so the queue can move out of the process without touching the callers.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Awaitable, Callable

from .logs import log
from .store.jobs import JobStore

PROGRESS_STEP = 5
Progress = Callable[[int], None]
JobFn = Callable[[Progress], Awaitable[dict | None]]
TERMINAL = ("done", "failed")


class JobRunner:
    """Runs :data:`JobFn` jobs as asyncio tasks (see the module docstring)."""

    def __init__(self, store: JobStore, max_concurrent: int = 2) -> None:
        self.store = store
        self._sem = asyncio.Semaphore(max_concurrent)
        self._tasks: set[asyncio.Task] = set()
        self._subs: dict[str, set[asyncio.Queue]] = {}
        self._last: dict[str, dict] = {}

    async def start(self) -> None:
        n = await self.store.fail_unfinished()
        if n:
            log.info("jobs_interrupted", count=n)

    async def submit(self, owner_id: str, kind: str, subject_id: str | None, fn: JobFn) -> str:
        """Create the ``queued`` row and start ``fn``; returns the ``job_id`` (``j_`` + 16 hex)."""
        job_id = "j_" + uuid.uuid4().hex[:16]
        await self.store.create(job_id, owner_id, kind, subject_id)
        self._last[job_id] = {"job_id": job_id, "state": "queued", "progress": 0}
        t = asyncio.create_task(self._run(job_id, kind, fn))
        self._tasks.add(t)
        t.add_done_callback(self._tasks.discard)
        return job_id

    def subscribe(self, job_id: str) -> asyncio.Queue:
        """A queue that gets every later change of ``job_id``; call :meth:`unsubscribe` when done."""
        q: asyncio.Queue = asyncio.Queue()
        self._subs.setdefault(job_id, set()).add(q)
        return q

    def unsubscribe(self, job_id: str, q: asyncio.Queue) -> None:
        subs = self._subs.get(job_id)
        if subs is not None:
            subs.discard(q)
            if not subs:
                self._subs.pop(job_id, None)

    async def _publish(self, job_id: str, state: str, progress: int, error: str | None = None,
                       write: bool = True) -> None:
        ev = {"job_id": job_id, "state": state, "progress": progress}
        if error:
            ev["error"] = error
        self._last[job_id] = ev
        for q in list(self._subs.get(job_id, ())):     # subscribers first, in call order
            q.put_nowait(ev)
        if write:
            await self.store.update(job_id, state, progress, error)

    async def _run(self, job_id: str, kind: str, fn: JobFn) -> None:
        loop = asyncio.get_running_loop()
        written = {"p": 0}

        def progress(p: int) -> None:
            p = max(0, min(99, int(p)))       # 100 is "done", set below

            def apply() -> None:
                last = self._last.get(job_id, {})
                if last.get("state") != "running" or p <= last.get("progress", 0):
                    return
                write = p - written["p"] >= PROGRESS_STEP
                if write:
                    written["p"] = p
                asyncio.ensure_future(self._publish(job_id, "running", p, write=write))
            loop.call_soon_threadsafe(apply)

        async with self._sem:
            try:
                await self._publish(job_id, "running", 1)
                result = await fn(progress)
                await self.store.update(job_id, "done", 100, result=result)
                await self._publish(job_id, "done", 100, write=False)
                log.info("job_done", job_id=job_id, kind=kind)
            except asyncio.CancelledError:
                await asyncio.shield(self._publish(job_id, "failed", self._last[job_id]["progress"], "cancelled"))
                raise
            except Exception as e:
                log.exception("job_failed", job_id=job_id, kind=kind)
                await self._publish(job_id, "failed", self._last[job_id]["progress"], f"{type(e).__name__}: {e}"[:300])
            finally:
                loop.call_later(60, self._last.pop, job_id, None)

    async def stop(self) -> None:
        for t in list(self._tasks):
            t.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
