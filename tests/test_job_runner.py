"""The in-process job runner and its PostgreSQL rows (server/job_runner.py, server/store/jobs.py)."""

from __future__ import annotations

import asyncio
import threading

import asyncpg
import pytest

from server.job_runner import JobRunner
from server.store.jobs import JobStore
from server.store.results import apply_migrations
from tests.conftest import DATABASE_URL


@pytest.fixture
async def pool():
    await asyncio.get_running_loop().run_in_executor(None, apply_migrations, DATABASE_URL)
    p = await asyncpg.create_pool(DATABASE_URL, min_size=1, max_size=3)
    yield p
    await p.close()


async def test_a_late_progress_write_never_reopens_a_finished_job(pool):
    import uuid

    store = JobStore(pool)
    jid = "j_late" + uuid.uuid4().hex[:10]
    await store.create(jid, "u_x", "test", None)
    await store.update(jid, "done", 100, result={"n": 1})
    await store.update(jid, "running", 40)          # a progress write that lost the race
    row = await store.get(jid, "u_x")
    assert (row["state"], row["progress"], row["result"]) == ("done", 100, {"n": 1})
    assert await store.get(jid, "u_other") is None


async def test_runner_progress_from_a_thread_is_ordered_and_ends_done(pool):
    runner = JobRunner(JobStore(pool))

    async def job(progress):
        def work():
            for p in range(0, 100, 3):                      # chatty, from a worker thread
                progress(p)
        await asyncio.to_thread(work)
        return {"ok": True}

    jid = await runner.submit("u_runner", "test", None, job)
    q = runner.subscribe(jid)
    seen = []
    while not seen or seen[-1]["state"] not in ("done", "failed"):
        seen.append(await asyncio.wait_for(q.get(), 10))
    runner.unsubscribe(jid, q)
    progress = [e["progress"] for e in seen]
    assert progress == sorted(progress) and seen[-1] == {"job_id": jid, "state": "done", "progress": 100}
    await asyncio.sleep(0.2)                                 # let any late progress write land
    row = await runner.store.get(jid, "u_runner")
    assert (row["state"], row["progress"], row["result"]) == ("done", 100, {"ok": True})
    assert threading.active_count() >= 1


async def test_a_failing_job_is_failed_with_its_error(pool):
    runner = JobRunner(JobStore(pool))

    async def job(progress):
        progress(30)
        await asyncio.sleep(0.05)
        raise RuntimeError("boom")

    jid = await runner.submit("u_runner", "test", None, job)
    q = runner.subscribe(jid)
    ev = None
    while ev is None or ev["state"] not in ("done", "failed"):
        ev = await asyncio.wait_for(q.get(), 10)
    assert ev["state"] == "failed" and "boom" in ev["error"]
    row = await runner.store.get(jid, "u_runner")
    assert row["state"] == "failed" and "RuntimeError: boom" in row["error"]
