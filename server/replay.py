"""Replay a finished match question by question, for one participant (the *subject*).

For each question: the subject's answer, its score, dimensions and feedback; the rubric key
points it covered and missed (shown now that the match is over); a model strong answer (a
skill-5 persona answer from the offline engine, since the bank holds rubrics, not answers);
the best answer of the match; and, for a spoken answer, its recording URL with the word timings
(s from the start of the recording) so the client highlights the transcript in time.

Key-point coverage is lexical (``scoring.text.coverage``: Hangul bigrams, English stems), the
same measure the rubric scorer credits in full at :data:`COVERED` and above.
"""

from __future__ import annotations

import asyncio
from functools import lru_cache

from rooms.questions import QuestionBank
from scoring.text import coverage, terms

#: A key point counts as covered when this share (0-1) of its terms is in the answer.
COVERED = 0.5
#: The persona that answers a question with no company of its own.
DEFAULT_PERSONA = "naver"


def key_point_coverage(key_points: list[str], text: str) -> list[dict]:
    """``[{text, coverage 0-1, covered}]`` of ``text`` for each key point."""
    have = terms(text or "")
    out = []
    for k in key_points:
        c = coverage(k, have)
        out.append({"text": k, "coverage": round(c, 2), "covered": c >= COVERED})
    return out


@lru_cache(maxsize=512)
def model_answer(question_id: str, lang: str, text: str, category: str, company: str | None) -> dict | None:
    """A strong (skill 5) persona answer to the question, composed offline; None if it fails.

    Returns ``{text, persona_id, skill, source: "persona"}``. Deterministic (seed 0); cached.
    CPU-bound (about a millisecond once the knowledge base is loaded): call it in an executor.
    """
    from personas.catalog import persona_ids
    from personas.engine import AnswerRequest, compose_answer

    pid = company if company in persona_ids() else DEFAULT_PERSONA
    try:
        ans = compose_answer(AnswerRequest(pid, text, lang=lang, skill=5, seed=0, category=category,
                                           question_id=question_id, budget_ms=120_000))
    except Exception:                          # a model answer is a courtesy: the replay goes on without it
        return None
    return {"text": ans.text, "persona_id": pid, "skill": 5, "source": "persona"} if ans.text else None


def _answer_view(a: dict, room_id: str, share: str | None) -> dict:
    out = {k: a.get(k) for k in ("answer_id", "text", "score", "dimensions", "feedback", "skipped",
                                 "auto_submitted", "follow_up_question")}
    # a stored report has the WAV path (``recording``); a viewer's report already has its URL
    url = a.get("recording_url") or (recording_url(room_id, a["answer_id"], share) if a.get("recording") else None)
    out["spoken"] = bool(url)
    out["recording_url"] = url
    out["words"] = a.get("words") or None
    return out


def recording_url(room_id: str, answer_id: str, share: str | None = None) -> str:
    """The route that serves an answer's recording (to those who may see the report)."""
    url = f"/api/v1/rooms/{room_id}/answers/{answer_id}/recording"
    return f"{url}?share={share}" if share else url


async def build_replay(report: dict, subject_id: str, bank: QuestionBank, *, share: str | None = None,
                       executor=None) -> dict:
    """The replay of ``report`` (a :meth:`ResultStore.report` dict) for ``subject_id``.

    Returns ``{room_id, title, language, finished_at, subject: {participant_id, display_name, kind,
    score, rank}, questions: [{index, question_id, text, category, difficulty, answer | None,
    follow_up | None, key_points: [{text, coverage, covered}], missed: [str], model_answer | None,
    best: {participant_id, display_name, score, text} | None}]}``.
    A question no longer in the bank gets no key points and no model answer.
    """
    lang = report["language"]
    names = {p["participant_id"]: p for p in report["participants"]}
    rank = {e["participant_id"]: e for e in report["ranking"]}
    loop = asyncio.get_running_loop()
    questions = []
    for q in report["questions"]:
        mains = [a for a in q["answers"] if not a.get("follow_up_of")]
        mine = next((a for a in mains if a["participant_id"] == subject_id), None)
        fu = next((a for a in q["answers"] if a.get("follow_up_of") and a["participant_id"] == subject_id), None)
        try:
            bq = bank.get(q["question_id"])
        except KeyError:
            bq = None
        kps = key_point_coverage(bq.key_points(lang), (mine or {}).get("text", "")) if bq else []
        model = None
        if bq is not None:
            model = await loop.run_in_executor(executor, model_answer, bq.id, lang, bq.text(lang), bq.category,
                                               bq.company)
        top = max(mains, key=lambda a: a["score"], default=None)
        questions.append({
            "index": q["index"], "question_id": q["question_id"], "text": q["text"], "category": q["category"],
            "difficulty": q["difficulty"],
            "answer": _answer_view(mine, report["room_id"], share) if mine else None,
            "follow_up": _answer_view(fu, report["room_id"], share) if fu else None,
            "key_points": kps, "missed": [k["text"] for k in kps if not k["covered"]],
            "model_answer": model,
            "best": {"participant_id": top["participant_id"],
                     "display_name": names.get(top["participant_id"], {}).get("display_name", top["participant_id"]),
                     "score": top["score"], "text": top["text"]} if top else None,
        })
    who = names.get(subject_id, {})
    return {"room_id": report["room_id"], "title": report["title"], "language": lang,
            "finished_at": report["finished_at"],
            "subject": {"participant_id": subject_id, "display_name": who.get("display_name", subject_id),
                        "kind": who.get("kind", "human"), "score": rank.get(subject_id, {}).get("score"),
                        "rank": rank.get(subject_id, {}).get("rank")},
            "questions": questions}
