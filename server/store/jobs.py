"""PostgreSQL: background job rows (``jobs``: state, progress 0-100, error, result), for :mod:`server.job_runner`."""

from __future__ import annotations

import json

import asyncpg

STATES = ("queued", "running", "done", "failed")


def _row(r) -> dict:
    return {"job_id": r["job_id"], "kind": r["kind"], "subject_id": r["subject_id"], "state": r["state"],
            "progress": r["progress"], "error": r["error"],
            "result": json.loads(r["result"]) if r["result"] else None,
            "created_at": r["created_at"].isoformat(), "updated_at": r["updated_at"].isoformat()}


class JobStore:
    """Reads and writes ``jobs`` rows on an asyncpg pool."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def create(self, job_id: str, owner_id: str, kind: str, subject_id: str | None) -> None:
        await self.pool.execute("INSERT INTO jobs (job_id, owner_id, kind, subject_id, state) VALUES ($1,$2,$3,$4,'queued')",
                                job_id, owner_id, kind, subject_id)

    async def update(self, job_id: str, state: str, progress: int, error: str | None = None,
                     result: dict | None = None) -> None:
        """Set a job's state and progress (0-100; never lowered); ``error``/``result`` when given. A
        finished job (done/failed) is never set back to running by a late progress write."""
        await self.pool.execute(
            """UPDATE jobs SET state=$2, progress=GREATEST(progress, $3), error=COALESCE($4, error),
               result=COALESCE($5::jsonb, result), updated_at=now()
               WHERE job_id=$1 AND (state NOT IN ('done', 'failed') OR $2 IN ('done', 'failed'))""",
            job_id, state, max(0, min(100, int(progress))), error, json.dumps(result) if result is not None else None)

    async def get(self, job_id: str, owner_id: str) -> dict | None:
        """The job if ``owner_id`` owns it, else None (another user's job does not exist for them)."""
        r = await self.pool.fetchrow("SELECT * FROM jobs WHERE job_id=$1 AND owner_id=$2", job_id, owner_id)
        return _row(r) if r else None

    async def fail_unfinished(self, reason: str = "interrupted: the server stopped", idle_s: int = 120) -> int:
        """Mark jobs left queued/running, and idle for ``idle_s`` seconds, as failed (a stopped process
        left them; a live one writes progress within seconds); returns how many."""
        res = await self.pool.execute("UPDATE jobs SET state='failed', error=$1, updated_at=now() "
                                      "WHERE state IN ('queued','running') "
                                      "AND updated_at < now() - make_interval(secs => $2)", reason, idle_s)
        return int(res.split()[-1])
