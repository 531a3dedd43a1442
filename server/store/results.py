"""PostgreSQL: finished matches, written with asyncpg; schema by versioned SQL migrations (yoyo).

Migrations live in ``server/migrations/NNNN_name.sql`` (with ``.rollback.sql``)
and are applied at start-up by yoyo-migrations, which records what ran in its
own tables and takes a lock, so several server processes can start at once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from ..wire import storable_tree

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def _yoyo_url(url: str) -> str:
    """yoyo needs the driver in the scheme: ``postgresql+psycopg://…``."""
    parts = urlsplit(url)
    scheme = parts.scheme.split("+")[0]
    if scheme in ("postgres", "postgresql"):
        return urlunsplit(("postgresql+psycopg",) + tuple(parts)[1:])
    return url


def apply_migrations(url: str) -> list[str]:
    """Apply pending migrations (blocking). Returns the ids applied."""
    from yoyo import get_backend, read_migrations

    backend = get_backend(_yoyo_url(url))
    migrations = read_migrations(str(MIGRATIONS_DIR))
    with backend.lock():
        todo = backend.to_apply(migrations)
        backend.apply_migrations(todo)
    return [m.id for m in todo]


def _ts(ms: int | None) -> dt.datetime:
    return dt.datetime.fromtimestamp((ms or 0) / 1000, tz=dt.timezone.utc)


class ResultStore:
    """Writes and reads finished matches.

    Args:
        url: a PostgreSQL URL asyncpg accepts (TCP or unix socket via ``?host=``).
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.pool: asyncpg.Pool | None = None
        #: ``(room_id, participant_id, question_id, is_follow_up) -> WAV path | None`` for spoken answers
        #: (set by the media bridge); an answer dict's own ``recording`` wins.
        self.recording_for = None
        #: same key -> the turn's word timings ``[{word, start, end}]`` (s from the recording's start) | None.
        self.words_for = None

    async def open(self) -> None:
        await asyncio.get_running_loop().run_in_executor(None, apply_migrations, self.url)
        self.pool = await asyncpg.create_pool(self.url, min_size=1, max_size=5)

    async def close(self) -> None:
        if self.pool:
            await self.pool.close()

    async def ping(self) -> bool:
        async with self.pool.acquire() as c:
            return await c.fetchval("SELECT 1") == 1

    async def save_match(self, record: dict, ranking: list[dict]) -> int:
        """Store a finished match in one transaction; returns ``match_id``.

        Args:
            record: ``Room.match_record()``; strings are stored without NUL, lone surrogates as U+FFFD.
            ranking: ``[{participant_id, score, rank, …}]`` from the Redis board.
        """
        # Validation refuses NUL and lone surrogates on the wire, but text also comes from LLMs and
        # old tokens: PostgreSQL would reject the whole match for one 0x00, so strip them here.
        record, ranking = storable_tree(record), storable_tree(ranking)
        rank_by = {e["participant_id"]: e for e in ranking}
        async with self.pool.acquire() as c, c.transaction():
            mid = await c.fetchval(
                """INSERT INTO matches (room_id, title, language, settings, end_reason, started_at, finished_at)
                   VALUES ($1,$2,$3,$4::jsonb,$5,$6,$7) RETURNING match_id""",
                record["room_id"], record["title"], record["language"], json.dumps(record["settings"]),
                record["end_reason"] or "completed", _ts(record["started_ms"]), _ts(record["finished_ms"]))
            await c.executemany(
                """INSERT INTO match_participants (match_id, participant_id, kind, display_name, persona_id, skill,
                   final_score, final_rank, notes) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9::jsonb)""",
                [(mid, p["participant_id"], p["kind"], p["display_name"], p["persona_id"], p["skill"],
                  float(rank_by.get(p["participant_id"], {}).get("score", 0)),
                  rank_by.get(p["participant_id"], {}).get("rank"), json.dumps(p.get("notes", [])))
                 for p in record["participants"]])
            await c.executemany(
                """INSERT INTO match_questions (match_id, idx, question_id, text, category, difficulty)
                   VALUES ($1,$2,$3,$4,$5,$6)""",
                [(mid, q["index"], q["question_id"], q["text"], q["category"], q["difficulty"])
                 for q in record["questions"]])
            await c.executemany(
                """INSERT INTO answers (answer_id, match_id, question_idx, question_id, participant_id, text,
                   auto_submitted, skipped, story_id, score, dimensions, feedback, submitted_at,
                   follow_up_of, follow_up_question, expression)
                   VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11::jsonb,$12,$13,$14,$15,$16::jsonb)""",
                [(a["answer_id"], mid, a["question_index"], a["question_id"], a["participant_id"], a["text"],
                  a["auto_submitted"], a["skipped"], a.get("story_id"), a["score"], json.dumps(a["dimensions"]),
                  a["feedback"], _ts(a["submitted_ms"]), a.get("follow_up_of"), a.get("follow_up_question"),
                  json.dumps(a["expression"]) if a.get("expression") else None)
                 for a in record["answers"]])
            recs = [(a.get("recording") or (self.recording_for(record["room_id"], a["participant_id"], a["question_id"],
                                                                bool(a.get("follow_up_of")))
                                            if self.recording_for else None), a["answer_id"]) for a in record["answers"]]
            recs = [r for r in recs if r[0]]
            if recs:                          # spoken answers link to the turn's recording
                await c.executemany("UPDATE answers SET recording=$1 WHERE answer_id=$2", recs)
            words = [(json.dumps(storable_tree(w)), a["answer_id"]) for a in record["answers"]
                     if (w := a.get("words") or (self.words_for(record["room_id"], a["participant_id"], a["question_id"],
                                                                  bool(a.get("follow_up_of")))
                                                 if self.words_for else None))]
            if words:                         # ... and to its word timings (the replay highlights them)
                await c.executemany("UPDATE answers SET words=$1::jsonb WHERE answer_id=$2", words)
        return mid

    async def report(self, room_id: str) -> dict | None:
        """The stored match as ``{room_id, title, language, participants, ranking, questions:[{…, answers}]}``, or None."""
        async with self.pool.acquire() as c:
            m = await c.fetchrow("SELECT * FROM matches WHERE room_id=$1", room_id)
            if m is None:
                return None
            parts = await c.fetch("SELECT * FROM match_participants WHERE match_id=$1 ORDER BY final_rank NULLS LAST, participant_id", m["match_id"])
            qs = await c.fetch("SELECT * FROM match_questions WHERE match_id=$1 ORDER BY idx", m["match_id"])
            ans = await c.fetch("SELECT * FROM answers WHERE match_id=$1 ORDER BY question_idx, submitted_at", m["match_id"])
        participants = [{"participant_id": p["participant_id"], "kind": p["kind"], "display_name": p["display_name"],
                         "persona_id": p["persona_id"], "skill": p["skill"]} for p in parts]
        ranking = [{"participant_id": p["participant_id"], "display_name": p["display_name"], "kind": p["kind"],
                    "score": int(p["final_score"]) if float(p["final_score"]).is_integer() else p["final_score"],
                    "rank": p["final_rank"]} for p in parts if p["final_rank"] is not None]
        questions = []
        for q in qs:
            questions.append({"question_id": q["question_id"], "index": q["idx"], "text": q["text"],
                              "category": q["category"], "difficulty": q["difficulty"],
                              "answers": [{"answer_id": a["answer_id"], "participant_id": a["participant_id"],
                                           "text": a["text"], "score": a["score"],
                                           "dimensions": json.loads(a["dimensions"]), "feedback": a["feedback"],
                                           "auto_submitted": a["auto_submitted"], "skipped": a["skipped"],
                                           "follow_up_of": a["follow_up_of"],
                                           "follow_up_question": a["follow_up_question"],
                                           "recording": a["recording"],
                                           "words": json.loads(a["words"]) if a["words"] else None,
                                           "expression": json.loads(a["expression"]) if a["expression"] else None}
                                          for a in ans if a["question_idx"] == q["idx"]]})
        return {"room_id": room_id, "title": m["title"], "language": m["language"],
                "settings": json.loads(m["settings"]), "end_reason": m["end_reason"],
                "started_at": m["started_at"].isoformat(), "finished_at": m["finished_at"].isoformat(),
                "participants": participants, "ranking": ranking, "questions": questions}
