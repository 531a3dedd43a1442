"""PostgreSQL reads behind history, progress, private reports and the boards (and share links).

Shares the :class:`server.store.results.ResultStore` pool; the schema is in ``server/migrations``
(``0006_history``: ``share_links``, ``answers.words``). Identity is the token's ``user_id``, which is
``match_participants.participant_id`` for humans.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from collections import defaultdict

from .results import ResultStore

#: Rows a list returns at most.
MAX_LIMIT = 200


def token_hash(token: str) -> str:
    """SHA-256 hex of a share token (only the hash is stored)."""
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def _num(v) -> float | int:
    v = float(v or 0)
    return int(v) if v.is_integer() else round(v, 2)


def _mean(xs: list[float]) -> float | None:
    return round(sum(xs) / len(xs), 1) if xs else None


def week_start(now: dt.datetime | None = None) -> dt.datetime:
    """Monday 00:00 UTC of the ISO week of ``now`` (default: the current time)."""
    now = (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
    day = now.date() - dt.timedelta(days=now.weekday())
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)


class HistoryStore:
    """Queries over finished matches for one user, one match or everyone (the boards)."""

    def __init__(self, results: ResultStore) -> None:
        self.results = results

    @property
    def pool(self):
        return self.results.pool

    # ------------------------------------------------------------------ one match
    async def match_humans(self, room_id: str) -> tuple[int, tuple[str, ...]] | None:
        """``(match_id, human participant ids)`` of the match played in ``room_id``, or None."""
        async with self.pool.acquire() as c:
            mid = await c.fetchval("SELECT match_id FROM matches WHERE room_id=$1", room_id)
            if mid is None:
                return None
            rows = await c.fetch("SELECT participant_id FROM match_participants WHERE match_id=$1 AND kind='human' "
                                 "ORDER BY participant_id", mid)
        return mid, tuple(r["participant_id"] for r in rows)

    async def notes(self, match_id: int, participant_id: str) -> list[dict]:
        """A participant's speaker notes ``[{question_id, text, at_ms}]`` (private to them)."""
        async with self.pool.acquire() as c:
            raw = await c.fetchval("SELECT notes FROM match_participants WHERE match_id=$1 AND participant_id=$2",
                                   match_id, participant_id)
        return json.loads(raw) if raw else []

    async def answer_media(self, match_id: int, answer_id: str) -> tuple[str | None, list | None] | None:
        """``(recording path, words)`` of one answer of the match, or None when it has no such answer."""
        async with self.pool.acquire() as c:
            row = await c.fetchrow("SELECT recording, words FROM answers WHERE match_id=$1 AND answer_id=$2",
                                   match_id, answer_id)
        if row is None:
            return None
        return row["recording"], (json.loads(row["words"]) if row["words"] else None)

    # ------------------------------------------------------------------ share links
    async def share_create(self, match_id: int, owner_id: str) -> dict:
        """A new share link: ``{link_id, token, created_at}``; the token is returned only here."""
        token, link_id = secrets.token_urlsafe(24), "l_" + secrets.token_hex(6)
        async with self.pool.acquire() as c:
            created = await c.fetchval("INSERT INTO share_links (link_id, token_hash, match_id, owner_id) "
                                       "VALUES ($1,$2,$3,$4) RETURNING created_at",
                                       link_id, token_hash(token), match_id, owner_id)
        return {"link_id": link_id, "token": token, "created_at": created.isoformat()}

    async def share_owner(self, match_id: int, token: str) -> str | None:
        """The owner of an unrevoked share link of this match with ``token``, else None."""
        async with self.pool.acquire() as c:
            return await c.fetchval("SELECT owner_id FROM share_links WHERE token_hash=$1 AND match_id=$2 "
                                    "AND revoked_at IS NULL", token_hash(token), match_id)

    async def share_list(self, match_id: int, owner_id: str) -> list[dict]:
        """The owner's links for this match, newest first: ``[{link_id, created_at, revoked_at}]``."""
        async with self.pool.acquire() as c:
            rows = await c.fetch("SELECT link_id, created_at, revoked_at FROM share_links WHERE match_id=$1 "
                                 "AND owner_id=$2 ORDER BY created_at DESC", match_id, owner_id)
        return [{"link_id": r["link_id"], "created_at": r["created_at"].isoformat(),
                 "revoked_at": r["revoked_at"].isoformat() if r["revoked_at"] else None} for r in rows]

    async def share_revoke(self, match_id: int, owner_id: str, token_or_link_id: str) -> bool:
        """Revoke the owner's link (by its token or its ``link_id``). False if there is no such link."""
        async with self.pool.acquire() as c:
            n = await c.fetchval(
                "WITH u AS (UPDATE share_links SET revoked_at=coalesce(revoked_at, now()) WHERE match_id=$1 "
                "AND owner_id=$2 AND (token_hash=$3 OR link_id=$4) RETURNING 1) SELECT count(*) FROM u",
                match_id, owner_id, token_hash(token_or_link_id), token_or_link_id)
        return n > 0

    # ------------------------------------------------------------------ one user
    async def matches_of(self, user_id: str, limit: int = 50, offset: int = 0) -> list[dict]:
        """The user's finished matches, newest first: ``[{room_id, title, language, end_reason,
        started_at, finished_at, score, rank, players, questions, mean_score}]`` (``score``: the
        match total, the sum of the question scores 0-100; ``mean_score``: per answer)."""
        async with self.pool.acquire() as c:
            rows = await c.fetch(
                """SELECT m.room_id, m.title, m.language, m.end_reason, m.started_at, m.finished_at,
                          p.final_score, p.final_rank,
                          (SELECT count(*) FROM match_participants x WHERE x.match_id=m.match_id) AS players,
                          (SELECT count(*) FROM match_questions x WHERE x.match_id=m.match_id) AS questions,
                          (SELECT avg(a.score) FROM answers a WHERE a.match_id=m.match_id AND a.participant_id=$1
                             AND a.follow_up_of IS NULL) AS mean_score
                   FROM match_participants p JOIN matches m USING (match_id)
                   WHERE p.participant_id=$1 AND p.kind='human'
                   ORDER BY m.finished_at DESC, m.match_id DESC LIMIT $2 OFFSET $3""",
                user_id, min(max(1, limit), MAX_LIMIT), max(0, offset))
        return [{"room_id": r["room_id"], "title": r["title"], "language": r["language"],
                 "end_reason": r["end_reason"], "started_at": r["started_at"].isoformat(),
                 "finished_at": r["finished_at"].isoformat(), "score": _num(r["final_score"]),
                 "rank": r["final_rank"], "players": r["players"], "questions": r["questions"],
                 "mean_score": round(float(r["mean_score"]), 1) if r["mean_score"] is not None else None}
                for r in rows]

    async def progress(self, user_id: str) -> dict:
        """Scores over time by dimension and by question category.

        Returns ``{"matches": [{room_id, title, finished_at, score, rank, mean_score,
        dimensions: {name: mean 0-100}, categories: {category: mean 0-100}}]`` (oldest first),
        ``"dimensions": {name: {mean, first, last, delta, matches}}``,
        ``"categories": {category: {mean, answers, matches}}}``. Means are over the user's main
        answers (follow-ups excluded), one decimal.
        """
        async with self.pool.acquire() as c:
            rows = await c.fetch(
                """SELECT m.match_id, m.room_id, m.title, m.finished_at, p.final_score, p.final_rank,
                          q.category, a.score, a.dimensions
                   FROM match_participants p JOIN matches m USING (match_id)
                   LEFT JOIN answers a ON a.match_id=p.match_id AND a.participant_id=p.participant_id
                                       AND a.follow_up_of IS NULL
                   LEFT JOIN match_questions q ON q.match_id=a.match_id AND q.idx=a.question_idx
                   WHERE p.participant_id=$1 AND p.kind='human'
                   ORDER BY m.finished_at, m.match_id, a.question_idx""", user_id)
        per: dict[int, dict] = {}
        for r in rows:
            m = per.setdefault(r["match_id"], {"room_id": r["room_id"], "title": r["title"],
                                               "finished_at": r["finished_at"].isoformat(),
                                               "score": _num(r["final_score"]), "rank": r["final_rank"],
                                               "_s": [], "_d": defaultdict(list), "_c": defaultdict(list)})
            if r["score"] is None:
                continue
            m["_s"].append(r["score"])
            m["_c"][r["category"]].append(r["score"])
            for k, v in json.loads(r["dimensions"]).items():
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    m["_d"][k].append(float(v))
        points, dim_series, cat_all, cat_matches = [], defaultdict(list), defaultdict(list), defaultdict(int)
        for m in per.values():
            s, d, cats = m.pop("_s"), m.pop("_d"), m.pop("_c")
            m["mean_score"] = _mean(s)
            m["dimensions"] = {k: _mean(v) for k, v in sorted(d.items())}
            m["categories"] = {k: _mean(v) for k, v in sorted(cats.items())}
            for k, v in m["dimensions"].items():
                dim_series[k].append(v)
            for k, v in cats.items():
                cat_all[k] += v
                cat_matches[k] += 1
            points.append(m)
        dims = {k: {"mean": _mean(v), "first": v[0], "last": v[-1], "delta": round(v[-1] - v[0], 1),
                    "matches": len(v)} for k, v in sorted(dim_series.items())}
        cats = {k: {"mean": _mean(v), "answers": len(v), "matches": cat_matches[k]} for k, v in sorted(cat_all.items())}
        return {"matches": points, "dimensions": dims, "categories": cats}

    # ------------------------------------------------------------------ boards
    async def human_board(self, since: dt.datetime | None = None, limit: int = 50) -> list[dict]:
        """Humans ranked per account: ``[{participant_id, display_name, score, matches, best, rank}]``.

        ``score`` is the sum of the account's match totals since ``since`` (None: all time);
        ``display_name`` is the name of the account's latest match. Ties share a rank.
        """
        async with self.pool.acquire() as c:
            rows = await c.fetch(
                """WITH s AS (
                     SELECT p.participant_id, sum(p.final_score) AS score, count(*) AS matches,
                            max(p.final_score) AS best
                     FROM match_participants p JOIN matches m USING (match_id)
                     WHERE p.kind='human' AND ($1::timestamptz IS NULL OR m.finished_at >= $1)
                     GROUP BY p.participant_id ORDER BY score DESC, matches, p.participant_id LIMIT $2),
                   n AS (
                     SELECT DISTINCT ON (p.participant_id) p.participant_id, p.display_name
                     FROM match_participants p JOIN matches m USING (match_id)
                     WHERE p.participant_id IN (SELECT participant_id FROM s)
                     ORDER BY p.participant_id, m.finished_at DESC, m.match_id DESC)
                   SELECT s.*, n.display_name FROM s JOIN n USING (participant_id)
                   ORDER BY s.score DESC, s.matches, s.participant_id""", since, min(max(1, limit), MAX_LIMIT))
        return _ranked([{"participant_id": r["participant_id"], "display_name": r["display_name"],
                         "score": _num(r["score"]), "matches": r["matches"], "best": _num(r["best"])} for r in rows])

    async def ai_board(self, since: dt.datetime | None = None, limit: int = 50) -> list[dict]:
        """AI candidates, one entry per persona and skill: ``[{participant_id, persona_id, skill,
        display_name, score, answers, matches, rank}]`` with ``score`` the mean answer score (0-100)."""
        async with self.pool.acquire() as c:
            rows = await c.fetch(
                """SELECT p.participant_id, p.persona_id, p.skill, avg(a.score) AS score, count(*) AS answers,
                          count(DISTINCT p.match_id) AS matches, max(p.display_name) AS display_name
                   FROM match_participants p JOIN matches m USING (match_id)
                   JOIN answers a ON a.match_id=p.match_id AND a.participant_id=p.participant_id
                   WHERE p.kind='ai' AND ($1::timestamptz IS NULL OR m.finished_at >= $1)
                   GROUP BY p.participant_id, p.persona_id, p.skill
                   ORDER BY score DESC, p.participant_id, p.skill LIMIT $2""", since, min(max(1, limit), MAX_LIMIT))
        return _ranked([{"participant_id": r["participant_id"], "persona_id": r["persona_id"], "skill": r["skill"],
                         "display_name": r["display_name"], "score": round(float(r["score"]), 1),
                         "answers": r["answers"], "matches": r["matches"]} for r in rows])


def _ranked(entries: list[dict]) -> list[dict]:
    """Add ``rank`` (1-based; equal scores share a rank) to entries sorted best first."""
    rank, prev = 0, None
    for i, e in enumerate(entries):
        if e["score"] != prev:
            rank, prev = i + 1, e["score"]
        e["rank"] = rank
    return entries
