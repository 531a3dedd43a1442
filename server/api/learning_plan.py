"""REST: ``GET /api/v1/me/learning-plan`` (``?lang=ko|en``): the caller's plan from their stored answers.

Bearer token required (``401 unauthorized``). The plan is computed on each request from PostgreSQL
(``answers`` of the caller's ``user_id`` joined with their matches and questions), so it follows every
stored match. Shape and logic: :func:`learning.plan.build_plan`, docs/resumes.md.
"""

from __future__ import annotations

import asyncio
import json

from aiohttp import web

from .resumes import err, user_of

MAX_ROWS = 2000

QUERY = """
SELECT m.room_id, m.finished_at, a.question_id, q.text AS question_text, q.category, a.score, a.dimensions,
       a.skipped, a.follow_up_of
FROM answers a
JOIN matches m ON m.match_id = a.match_id
JOIN match_questions q ON q.match_id = a.match_id AND q.idx = a.question_idx
WHERE a.participant_id = $1
ORDER BY m.finished_at DESC
LIMIT $2
"""


async def answers_of(pool, user_id: str) -> list[dict]:
    """The user's stored answers as :func:`learning.plan.build_plan` rows, newest match first."""
    rows = await pool.fetch(QUERY, user_id, MAX_ROWS)
    return [{"room_id": r["room_id"], "finished_at": r["finished_at"].isoformat(), "question_id": r["question_id"],
             "question_text": r["question_text"], "category": r["category"], "score": r["score"],
             "dimensions": json.loads(r["dimensions"]) if r["dimensions"] else {}, "skipped": r["skipped"],
             "follow_up_of": r["follow_up_of"]} for r in rows]


async def own_questions(pool, user_id: str) -> dict[str, dict]:
    """The user's stored résumé questions, ``{question_id: question}`` (the plan may offer them as retries)."""
    rows = await pool.fetch("SELECT q.question_id, q.question FROM resume_questions q JOIN resumes r USING (resume_id) "
                            "WHERE r.owner_id=$1", user_id)
    return {r["question_id"]: json.loads(r["question"]) for r in rows}


def setup(app: web.Application) -> None:
    from learning.plan import build_plan

    async def plan(request: web.Request) -> web.Response:
        user = await user_of(request)
        if user is None:
            return err(401, "unauthorized", "a bearer token is required")
        lang = request.query.get("lang")
        if lang not in ("ko", "en"):
            lang = "en" if request.headers.get("Accept-Language", "ko")[:2] == "en" else "ko"
        rows = await answers_of(app["results"].pool, user["user_id"])
        own = await own_questions(app["results"].pool, user["user_id"])
        out = await asyncio.get_running_loop().run_in_executor(None, build_plan, rows, lang, None, own)
        return web.json_response({"user_id": user["user_id"], **out})

    app.router.add_get("/api/v1/me/learning-plan", plan)
