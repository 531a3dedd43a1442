"""The learning plan: from a user's stored, scored answers to what to practise next.

Pure (no database): :func:`build_plan` takes the user's answers as rows and the question bank.

Logic (numbers are ours):

1. **Window**: the user's main answers (follow-ups left out) in their last :data:`WINDOW_MATCHES`
   finished matches. A skipped turn counts, with the score it got (0).
2. **Weakest dimensions**: the mean of each scoring dimension (``relevance``, ``structure``,
   ``specificity``, ``depth``, ``communication``) over the window; the lowest
   :data:`MAX_DIMENSION_ITEMS` below :data:`TARGET` become items (the lowest one always does, so a
   strong player still gets a next step). Evidence: the three answers with the lowest value of it.
3. **Weakest topics**: answers grouped by the bank question's ``(category, topic)`` (résumé questions
   by their category); the lowest :data:`MAX_TOPIC_ITEMS` groups with a mean below :data:`TARGET`.
4. **Questions to retry** (bank ids, and the user's own résumé questions while that résumé is
   stored, so a solo room can ask them): the evidence questions first,
   then unanswered bank questions of the same topic, then of the same category, up to
   :data:`RETRY_COUNT`.
5. Each item says **why** (``reason``: the mean, how many answers, the lowest score and its question
   and date), **what to practise** (``practice``: advice per dimension from ``learning/data/practice.json``,
   or the missed key points of the topic's questions), and a ready ``create_room`` payload for a
   **solo room** with those questions (``solo_room``).

The plan is computed when asked, so it changes after every stored match.
"""

from __future__ import annotations

import json
from collections import defaultdict
from functools import lru_cache
from pathlib import Path
from statistics import mean
from typing import Iterable

from rooms.questions import QuestionBank, default_bank

DATA = Path(__file__).parent / "data" / "practice.json"
WINDOW_MATCHES = 10
TARGET = 75
MAX_DIMENSION_ITEMS = 2
MAX_TOPIC_ITEMS = 2
RETRY_COUNT = 3
EVIDENCE = 3


@lru_cache(maxsize=1)
def practice_data() -> dict:
    return json.loads(DATA.read_text(encoding="utf-8"))


def _lang(d: dict, lang: str) -> str:
    return d.get(lang) or d["en"]


def _short(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def _evidence(rows: list[dict], dim: str | None) -> list[dict]:
    def val(r: dict) -> float:
        return float(r["dimensions"].get(dim, 0)) if dim else float(r["score"])

    ranked = sorted(rows, key=lambda r: (val(r), r["finished_at"]))[:EVIDENCE]
    out = []
    for r in ranked:
        e = {"room_id": r["room_id"], "question_id": r["question_id"], "question": r["question_text"],
             "score": int(r["score"]), "finished_at": r["finished_at"]}
        if dim:
            e["dimension_score"] = round(val(r))
        out.append(e)
    return out


def _retry(bank: QuestionBank, seed_ids: list[str], answered: set[str], topic: tuple[str, str] | None,
           categories: list[str], own: dict | None = None) -> list[str]:
    ids = list(dict.fromkeys(q for q in seed_ids if _in_bank(bank, q) or q in (own or {})))
    fresh = sorted((q for q in bank if q.id not in answered and q.category != "company"),
                   key=lambda q: (q.difficulty, q.id))
    if topic is not None:
        ids += [q.id for q in fresh if (q.category, q.topic) == topic and q.id not in ids]
    for cat in categories:
        ids += [q.id for q in fresh if q.category == cat and q.id not in ids]
    return list(dict.fromkeys(ids))[:RETRY_COUNT]


def _in_bank(bank: QuestionBank, qid: str) -> bool:
    try:
        bank.get(qid)
        return True
    except KeyError:
        return False


def _solo_room(title: str, lang: str, ids: list[str]) -> dict:
    return {"title": title[:80], "language": lang, "question_count": len(ids), "personas": [],
            "max_humans": 1, "private": True, "solo": True, "answer_seconds": 90,
            "question_source": {"question_ids": ids}}


def build_plan(rows: Iterable[dict], lang: str = "en", bank: QuestionBank | None = None,
               own: dict[str, dict] | None = None) -> dict:
    """The plan for one user.

    Args:
        own: the user's own résumé questions still stored, ``{question_id: {"key_points": {lang: [...]}}}``:
            they may be retried too (a deleted résumé's questions are not offered).
        rows: the user's answers, each ``{room_id, finished_at (ISO 8601), question_id, question_text,
            category, score (0-100), dimensions {name: 0-100}, skipped, follow_up_of}``.
        lang: "ko" | "en" for the texts.
    Returns:
        ``{language, based_on: {matches, answers}, updated_at, averages: {dimension: mean}, labels: {dimension: name},
        items: [{id, kind: "dimension"|"topic", dimension?, topic?, category?, average, answers,
        label, reason, practice, question_ids, evidence: [{room_id, question_id, question, score,
        dimension_score?, finished_at}], solo_room}]}``; ``items`` is empty before the first match.
    """
    bank = bank or default_bank()
    lang = lang if lang in ("ko", "en") else "en"
    data = practice_data()
    rows = [r for r in rows if not r.get("follow_up_of")]
    recent = sorted({(r["finished_at"], r["room_id"]) for r in rows}, reverse=True)[:WINDOW_MATCHES]
    keep = {room for _, room in recent}
    rows = [r for r in rows if r["room_id"] in keep]
    answered = {r["question_id"] for r in rows}
    plan = {"language": lang, "based_on": {"matches": len(keep), "answers": len(rows)},
            "updated_at": recent[0][0] if recent else None, "averages": {}, "items": []}
    if not rows:
        return plan
    dims: dict[str, list[float]] = defaultdict(list)
    for r in rows:
        for d, v in (r.get("dimensions") or {}).items():
            if d in data["dimensions"]:
                dims[d].append(float(v))
    averages = {d: round(mean(v), 1) for d, v in dims.items()}
    plan["averages"] = averages
    plan["labels"] = {d: _lang(data["dimensions"][d]["label"], lang) for d in averages}
    overall = round(mean(float(r["score"]) for r in rows), 1)
    plan["average_score"] = overall
    weak_dims = sorted(averages, key=lambda d: (averages[d], d))
    weak_dims = [d for i, d in enumerate(weak_dims) if i == 0 or averages[d] < TARGET][:MAX_DIMENSION_ITEMS]
    for d in weak_dims:
        ev = _evidence([r for r in rows if d in (r.get("dimensions") or {})], d)
        cats = list(dict.fromkeys(r["category"] for r in rows if r["question_id"] in {e["question_id"] for e in ev}))
        ids = _retry(bank, [e["question_id"] for e in ev], answered - {e["question_id"] for e in ev}, None, cats, own)
        label = _lang(data["dimensions"][d]["label"], lang)
        low = ev[0]
        n = len(dims[d])
        if lang == "ko":
            reason = (f"최근 {len(keep)}번의 매치, 답변 {n}개에서 {label} 점수가 평균 {averages[d]:g}/100으로 "
                      f"약한 영역 중 하나입니다(전체 평균 {overall:g}). 가장 낮은 점수: \"{_short(low['question'])}\"에서 "
                      f"{low['dimension_score']}점({low['finished_at'][:10]}).")
        else:
            reason = (f"Your {label} averaged {averages[d]:g}/100 over {n} answers in your last {len(keep)} "
                      f"match{'es' if len(keep) != 1 else ''}, one of your weakest dimensions (overall average "
                      f"{overall:g}). Lowest: {low['dimension_score']} on \"{_short(low['question'])}\" "
                      f"({low['finished_at'][:10]}).")
        title = f"{'연습' if lang == 'ko' else 'Practice'}: {label}"
        plan["items"].append({"id": f"dimension:{d}", "kind": "dimension", "dimension": d, "label": label,
                              "average": averages[d],
                              "answers": n, "reason": reason,
                              "practice": _lang(data["dimensions"][d]["practice"], lang),
                              "question_ids": ids, "evidence": ev, "solo_room": _solo_room(title, lang, ids)})
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in rows:
        try:
            q = bank.get(r["question_id"])
            groups[(q.category, q.topic)].append(r)
        except KeyError:
            groups[(r["category"], "resume")].append(r)
    topic_means = {k: round(mean(float(r["score"]) for r in v), 1) for k, v in groups.items()}
    weak_topics = [k for k in sorted(topic_means, key=lambda k: (topic_means[k], k)) if topic_means[k] < TARGET]
    for cat, topic in weak_topics[:MAX_TOPIC_ITEMS]:
        grp = groups[(cat, topic)]
        ev = _evidence(grp, None)
        ids = _retry(bank, [e["question_id"] for e in ev], answered, (cat, topic), [cat], own)
        cat_label = _lang(data["categories"].get(cat, {"en": cat}), lang)
        topic_label = (_lang(data["resume_topic"], lang) if topic == "resume"
                       else f"{cat_label} · {topic.replace('_', ' ')}")
        points = []
        for e in ev:
            if _in_bank(bank, e["question_id"]):
                points += bank.get(e["question_id"]).key_points(lang)
            elif e["question_id"] in (own or {}):
                kp = own[e["question_id"]].get("key_points") or {}
                points += kp.get(lang) or kp.get("en") or []
        points_text = "; ".join(list(dict.fromkeys(points))[:4]) or topic_label
        low = ev[0]
        m = topic_means[(cat, topic)]
        if lang == "ko":
            reason = (f"{topic_label}에서 답변 {len(grp)}개의 평균이 {m:g}/100입니다(목표 {TARGET}). "
                      f"가장 낮은 점수: \"{_short(low['question'])}\"에서 {low['score']}점({low['finished_at'][:10]}).")
        else:
            reason = (f"You averaged {m:g}/100 on {topic_label} over {len(grp)} answer{'s' if len(grp) != 1 else ''} "
                      f"(target {TARGET}). Lowest: {low['score']} on \"{_short(low['question'])}\" "
                      f"({low['finished_at'][:10]}).")
        title = f"{'연습' if lang == 'ko' else 'Practice'}: {topic.replace('_', ' ')}"
        plan["items"].append({"id": f"topic:{cat}:{topic}", "kind": "topic", "category": cat, "topic": topic,
                              "label": topic_label,
                              "average": m, "answers": len(grp), "reason": reason,
                              "practice": _lang(data["topic_practice"], lang).format(points=points_text),
                              "question_ids": ids, "evidence": ev, "solo_room": _solo_room(title, lang, ids)})
    plan["items"] = [i for i in plan["items"] if i["question_ids"]] or plan["items"]
    return plan
