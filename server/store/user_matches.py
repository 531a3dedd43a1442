"""PostgreSQL: the stored matches of given users, with their own answers (for the coach dashboard and
the data export). Reads the tables of ``migrations/0001``-``0004``; never another player's answers."""

from __future__ import annotations

import json

import asyncpg


async def matches_of(c: asyncpg.Connection, user_ids: list[str], *, notes: bool = False) -> dict[str, list[dict]]:
    """``user_id -> [match]``, newest first. A match is ``{room_id, title, language, finished_at (ISO 8601),
    score, rank, players, dimensions: {name: mean 0-100}, answers: [{answer_id, question_index, question_id,
    question_text, category, text, score, dimensions, feedback, skipped, follow_up_question, has_recording}]}``;
    with ``notes`` also the user's speaker notes (``notes``). Users without matches map to ``[]``.
    """
    out: dict[str, list[dict]] = {u: [] for u in user_ids}
    if not user_ids:
        return out
    parts = await c.fetch(
        """SELECT p.participant_id, p.match_id, p.final_score, p.final_rank, p.notes, m.room_id, m.title, m.language,
                  m.finished_at, (SELECT count(*) FROM match_participants x WHERE x.match_id=m.match_id) AS players
           FROM match_participants p JOIN matches m USING (match_id)
           WHERE p.participant_id = ANY($1::text[]) AND p.kind='human'
           ORDER BY m.finished_at DESC, m.match_id DESC""", user_ids)
    if not parts:
        return out
    answers = await c.fetch(
        """SELECT a.*, q.text AS question_text, q.category FROM answers a
           JOIN match_questions q ON q.match_id=a.match_id AND q.idx=a.question_idx
           WHERE a.participant_id = ANY($1::text[]) AND a.match_id = ANY($2::bigint[])
           ORDER BY a.question_idx, a.submitted_at""", user_ids, list({p["match_id"] for p in parts}))
    by_key: dict[tuple[str, int], list] = {}
    for a in answers:
        by_key.setdefault((a["participant_id"], a["match_id"]), []).append(a)
    for p in parts:
        rows = by_key.get((p["participant_id"], p["match_id"]), [])
        dims: dict[str, list[float]] = {}
        items = []
        for a in rows:
            d = json.loads(a["dimensions"]) if a["dimensions"] else {}
            if not a["skipped"]:
                for k, v in d.items():
                    if isinstance(v, (int, float)):
                        dims.setdefault(k, []).append(float(v))
            items.append({"answer_id": a["answer_id"], "question_index": a["question_idx"],
                          "question_id": a["question_id"], "question_text": a["question_text"],
                          "category": a["category"], "text": a["text"], "score": a["score"], "dimensions": d,
                          "feedback": a["feedback"], "skipped": a["skipped"],
                          "follow_up_question": a["follow_up_question"], "has_recording": bool(a["recording"])})
        m = {"room_id": p["room_id"], "title": p["title"], "language": p["language"],
             "finished_at": p["finished_at"].isoformat(), "score": float(p["final_score"]), "rank": p["final_rank"],
             "players": p["players"], "dimensions": {k: round(sum(v) / len(v), 1) for k, v in sorted(dims.items())},
             "answers": items}
        if notes:
            m["notes"] = json.loads(p["notes"]) if p["notes"] else []
        out[p["participant_id"]].append(m)
    return out


def trend(matches: list[dict]) -> dict[str, dict]:
    """Per dimension over ``matches`` (newest first, as :func:`matches_of` gives them): ``{mean, first, last,
    slope, series}``, the series oldest first, the slope the least-squares change per match (points)."""
    series: dict[str, list[float]] = {}
    for m in reversed(matches):
        for k, v in m["dimensions"].items():
            series.setdefault(k, []).append(v)
    out = {}
    for k, ys in sorted(series.items()):
        n = len(ys)
        xbar, ybar = (n - 1) / 2, sum(ys) / n
        den = sum((i - xbar) ** 2 for i in range(n))
        slope = sum((i - xbar) * (y - ybar) for i, y in enumerate(ys)) / den if den else 0.0
        out[k] = {"mean": round(ybar, 1), "first": ys[0], "last": ys[-1], "slope": round(slope, 2), "series": ys}
    return out
