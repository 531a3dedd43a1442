"""PostgreSQL: coach cohorts, their members, and the rule of who may see whose matches (asyncpg).

A coach (role ``coach``) creates a cohort with an invite code; an account joins with the code, which is
its consent to share its matches with that coach (``migrations/0005_accounts.sql``).
"""

from __future__ import annotations

import secrets

import asyncpg

from .user_matches import matches_of, trend

#: Invite-code alphabet: no 0/O, 1/I/L.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LEN = 8


def normalise_code(code: str) -> str:
    """Case and spaces (and dashes) do not matter in an invite code."""
    return "".join(ch for ch in code.upper() if ch not in " -\t")


async def coach_sees(pool: asyncpg.Pool, coach_id: str, user_id: str) -> bool:
    """True when ``coach_id`` coaches a cohort that ``user_id`` is a member of (so the coach may read that
    user's reports, transcripts and recordings). A user never "coaches" themself through this rule."""
    if coach_id == user_id:
        return False
    async with pool.acquire() as c:
        return bool(await c.fetchval(
            """SELECT EXISTS (SELECT 1 FROM cohorts c JOIN cohort_members m USING (cohort_id)
               WHERE c.coach_id=$1 AND m.user_id=$2)""", coach_id, user_id))


async def create(pool: asyncpg.Pool, coach_id: str, name: str) -> dict:
    """A new cohort ``{cohort_id, name, invite_code}`` coached by ``coach_id`` (an account)."""
    async with pool.acquire() as c:
        for _ in range(10):
            code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LEN))
            cid = "c_" + secrets.token_hex(8)
            try:
                await c.execute("INSERT INTO cohorts (cohort_id, coach_id, name, invite_code) VALUES ($1,$2,$3,$4)",
                                cid, coach_id, name, code)
                return {"cohort_id": cid, "name": name, "invite_code": code}
            except asyncpg.UniqueViolationError:
                continue
    raise RuntimeError("could not draw a free invite code")


async def join(pool: asyncpg.Pool, user_id: str, invite_code: str) -> dict | None:
    """Add ``user_id`` to the cohort of ``invite_code`` (idempotent). Returns ``{cohort_id, name,
    coach_name}``, or None when no cohort has that code (nothing changes)."""
    async with pool.acquire() as c:
        row = await c.fetchrow("""SELECT c.cohort_id, c.name, c.coach_id, u.display_name AS coach_name FROM cohorts c
                                  JOIN users u ON u.user_id=c.coach_id WHERE c.invite_code=$1""",
                               normalise_code(invite_code))
        if row is None:
            return None
        await c.execute("INSERT INTO cohort_members (cohort_id, user_id) VALUES ($1,$2) ON CONFLICT DO NOTHING",
                        row["cohort_id"], user_id)
    return {"cohort_id": row["cohort_id"], "name": row["name"], "coach_name": row["coach_name"]}


async def leave(pool: asyncpg.Pool, user_id: str, cohort_id: str) -> bool:
    """Withdraw consent: remove ``user_id`` from the cohort. False if they were not a member."""
    async with pool.acquire() as c:
        return await c.fetchval("DELETE FROM cohort_members WHERE cohort_id=$1 AND user_id=$2 RETURNING true",
                                cohort_id, user_id) is not None


async def list_for(pool: asyncpg.Pool, user_id: str) -> list[dict]:
    """The cohorts ``user_id`` coaches (``role: coach``, with code and member count), then those joined."""
    async with pool.acquire() as c:
        coached = await c.fetch("""SELECT c.cohort_id, c.name, c.invite_code, u.display_name AS coach_name,
                                   (SELECT count(*) FROM cohort_members m WHERE m.cohort_id=c.cohort_id) AS members
                                   FROM cohorts c JOIN users u ON u.user_id=c.coach_id
                                   WHERE c.coach_id=$1 ORDER BY c.created_at""", user_id)
        joined = await c.fetch("""SELECT c.cohort_id, c.name, u.display_name AS coach_name FROM cohort_members m
                                  JOIN cohorts c USING (cohort_id) JOIN users u ON u.user_id=c.coach_id
                                  WHERE m.user_id=$1 ORDER BY m.joined_at""", user_id)
    return ([{"cohort_id": r["cohort_id"], "name": r["name"], "role": "coach", "invite_code": r["invite_code"],
              "coach_name": r["coach_name"], "members": r["members"]} for r in coached]
            + [{"cohort_id": r["cohort_id"], "name": r["name"], "role": "member", "invite_code": None,
                "coach_name": r["coach_name"], "members": None} for r in joined])


async def dashboard(pool: asyncpg.Pool, coach_id: str, cohort_id: str) -> dict | None:
    """The cohort's dashboard (:class:`server.api.models.DashboardOut`), or None unless ``coach_id`` is the
    coach of ``cohort_id``. Each member's matches (newest first), answers with transcripts, and trends."""
    async with pool.acquire() as c:
        cohort = await c.fetchrow("SELECT * FROM cohorts WHERE cohort_id=$1 AND coach_id=$2", cohort_id, coach_id)
        if cohort is None:
            return None
        members = await c.fetch("""SELECT m.user_id, m.joined_at, u.display_name, u.email FROM cohort_members m
                                   JOIN users u USING (user_id) WHERE m.cohort_id=$1 ORDER BY m.joined_at""", cohort_id)
        matches = await matches_of(c, [m["user_id"] for m in members])
    return {"cohort_id": cohort_id, "name": cohort["name"], "invite_code": cohort["invite_code"],
            "candidates": [{"user_id": m["user_id"], "display_name": m["display_name"], "email": m["email"],
                            "joined_at": m["joined_at"].isoformat(), "matches": matches[m["user_id"]],
                            "trend": trend(matches[m["user_id"]])} for m in members]}


DASHBOARD_CSV_COLUMNS = ["user_id", "display_name", "email", "room_id", "title", "finished_at", "match_score",
                         "match_rank", "question_index", "question_id", "category", "question", "answer_score",
                         "dimensions", "feedback", "skipped", "has_recording", "answer"]


def dashboard_rows(dash: dict) -> list[list]:
    """One CSV row per answer (members without matches get one row with their name only)."""
    import json

    rows = []
    for cand in dash["candidates"]:
        who = [cand["user_id"], cand["display_name"], cand["email"]]
        if not cand["matches"]:
            rows.append(who + [""] * (len(DASHBOARD_CSV_COLUMNS) - 3))
        for m in cand["matches"]:
            head = who + [m["room_id"], m["title"], m["finished_at"], m["score"], m["rank"]]
            for a in m["answers"] or [None]:
                if a is None:
                    rows.append(head + [""] * (len(DASHBOARD_CSV_COLUMNS) - len(head)))
                    continue
                rows.append(head + [a["question_index"], a["question_id"], a["category"], a["question_text"],
                                    a["score"], json.dumps(a["dimensions"], sort_keys=True), a["feedback"],
                                    a["skipped"], a["has_recording"], a["text"]])
    return rows
