"""PostgreSQL: résumés / job postings and their tailored question sets, owned by a user."""

from __future__ import annotations

import json

import asyncpg


class ResumeStore:
    """``resumes`` and ``resume_questions`` on an asyncpg pool. Every read takes the owner: another
    user's résumé reads as missing."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def create(self, resume_id: str, owner_id: str, filename: str, file_kind: str, size: int,
                     language: str, doc_kind: str, text: str) -> None:
        await self.pool.execute(
            """INSERT INTO resumes (resume_id, owner_id, filename, file_kind, size_bytes, language, doc_kind, text)
               VALUES ($1,$2,$3,$4,$5,$6,$7,$8)""",
            resume_id, owner_id, filename, file_kind, size, language, doc_kind, text.replace("\x00", ""))

    async def get(self, resume_id: str, owner_id: str) -> dict | None:
        """``{resume_id, filename, file_kind, size_bytes, language, doc_kind, text, profile, created_at}`` or None."""
        r = await self.pool.fetchrow("SELECT * FROM resumes WHERE resume_id=$1 AND owner_id=$2", resume_id, owner_id)
        if r is None:
            return None
        d = dict(r)
        d["profile"] = json.loads(d["profile"]) if d["profile"] else None
        d["created_at"] = d["created_at"].isoformat()
        return d

    async def list(self, owner_id: str) -> list[dict]:
        rows = await self.pool.fetch(
            """SELECT r.resume_id, r.filename, r.file_kind, r.language, r.doc_kind, r.created_at,
                      (SELECT count(*) FROM resume_questions q WHERE q.resume_id=r.resume_id) AS questions
               FROM resumes r WHERE owner_id=$1 ORDER BY created_at DESC""", owner_id)
        return [{**dict(r), "created_at": r["created_at"].isoformat()} for r in rows]

    async def save_questions(self, resume_id: str, profile: dict, questions: list[dict]) -> None:
        """Store the parsed profile and replace the question set, in one transaction."""
        async with self.pool.acquire() as c, c.transaction():
            await c.execute("UPDATE resumes SET profile=$2::jsonb WHERE resume_id=$1", resume_id,
                            json.dumps(profile, ensure_ascii=False).replace("\\u0000", ""))
            await c.execute("DELETE FROM resume_questions WHERE resume_id=$1", resume_id)
            await c.executemany(
                "INSERT INTO resume_questions (resume_id, position, question_id, question) VALUES ($1,$2,$3,$4::jsonb)",
                [(resume_id, i, q["id"], json.dumps(q, ensure_ascii=False)) for i, q in enumerate(questions)])

    async def questions(self, resume_id: str, owner_id: str) -> list[dict] | None:
        """The set in order, or None when the résumé is not ``owner_id``'s (or does not exist)."""
        async with self.pool.acquire() as c:
            if not await c.fetchval("SELECT 1 FROM resumes WHERE resume_id=$1 AND owner_id=$2", resume_id, owner_id):
                return None
            rows = await c.fetch("SELECT question FROM resume_questions WHERE resume_id=$1 ORDER BY position", resume_id)
        return [json.loads(r["question"]) for r in rows]

    async def owned_questions(self, question_ids: list[str], owner_id: str) -> dict[str, dict]:
        """``{question_id: question}`` for those of ``question_ids`` that are in ``owner_id``'s résumés."""
        rows = await self.pool.fetch(
            "SELECT q.question_id, q.question FROM resume_questions q JOIN resumes r USING (resume_id) "
            "WHERE r.owner_id=$1 AND q.question_id = ANY($2::text[])", owner_id, question_ids)
        return {r["question_id"]: json.loads(r["question"]) for r in rows}

    async def delete(self, resume_id: str, owner_id: str) -> bool:
        """Delete the résumé and its questions (cascade); False when it is not ``owner_id``'s."""
        res = await self.pool.execute("DELETE FROM resumes WHERE resume_id=$1 AND owner_id=$2", resume_id, owner_id)
        return res.endswith(" 1")
