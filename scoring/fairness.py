"""Fairness figure: a strong human answer against the skill-5 AI candidates on the same question.

For every bank question (and language) that has a grade-5 answer in the graded sets, that
human answer is scored together with the AI candidates' skill-5 answers in one
``score_answers`` call, as a room scores one question. Questions are grouped per language
into simulated matches of ``MATCH_QUESTIONS`` questions, so a persona does not repeat a story
inside a match (``used_story_ids``), as in a room.

The AI candidates come in as a :class:`Composer`, so ``scoring`` never imports ``personas``:
``make eval`` (``benchmarks/eval.py``) passes the offline persona engine; tests pass their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median
from typing import Callable, Iterable

from rooms.questions import Question, QuestionBank, default_bank
from rooms.scoring import AnswerToScore

MATCH_QUESTIONS = 5
SKILL = 5
HUMAN = "human"


def strong_human_answers(rows: Iterable[dict], bank: QuestionBank) -> list[dict]:
    """The first grade-5 row per (qid, lang) whose qid is in ``bank``, sorted by (lang, qid)."""
    seen: dict = {}
    for r in rows:
        qid = r.get("qid")
        if r.get("grade") == 5 and qid and (qid, r["lang"]) not in seen:
            try:
                bank.get(qid)
            except KeyError:
                continue
            seen[(qid, r["lang"])] = r
    return [seen[k] for k in sorted(seen, key=lambda k: (k[1], k[0]))]


@dataclass(frozen=True)
class Composer:
    """How the AI candidates answer: ``compose(persona_id, question, lang, seed, used_story_ids)``
    returns ``(text, story_id or None)``; ``persona_ids`` in seat order."""

    persona_ids: tuple
    compose: Callable


def run(scorer, rows: Iterable[dict], composer: Composer, bank: QuestionBank | None = None) -> dict:
    """Score each strong human answer against the skill-5 AI candidates.

    Returns ``{"questions": [{"qid", "lang", "match", "human", "ai_median",
    "ai_max", "ai": {persona: score}, "human_rank"}], "summary": summarise(...)}``, scores 0-100;
    ``human_rank`` is 1 for the best of the seven (ties count for the human). A persona that raises
    is left out of that question (``errors`` lists it).
    """
    bank = bank or default_bank()
    out, errors = [], []
    used: dict = {}
    position: dict = {}
    for row in strong_human_answers(rows, bank):
        lang = row["lang"]
        q = bank.get(row["qid"])
        k = position.get(lang, 0)
        position[lang] = k + 1
        match = k // MATCH_QUESTIONS
        if k % MATCH_QUESTIONS == 0:  # a new match: stories may be told again
            used = {key: val for key, val in used.items() if key[1] != lang}
        answers = [AnswerToScore(answer_id=HUMAN, participant_id=HUMAN, text=row["answer"])]
        for pid in composer.persona_ids:
            try:
                text, sid = composer.compose(pid, q, lang, 1000 * match + k % MATCH_QUESTIONS,
                                             frozenset(used.get((pid, lang), ())))
            except Exception as e:  # noqa: BLE001
                errors.append(f"{pid}/{q.id}/{lang}: {type(e).__name__}: {e}")
                continue
            if sid:
                used.setdefault((pid, lang), set()).add(sid)
            answers.append(AnswerToScore(answer_id=pid, participant_id=pid, text=text))
        res = scorer.score_answers(q, answers, lang)
        ai = {a.answer_id: res[a.answer_id].score for a in answers if a.answer_id != HUMAN}
        h = res[HUMAN].score
        out.append({"qid": q.id, "lang": lang, "match": match, "human": h,
                    "ai_median": median(ai.values()) if ai else float("nan"),
                    "ai_max": max(ai.values()) if ai else float("nan"), "ai": ai,
                    "human_rank": 1 + sum(1 for s in ai.values() if s > h)})
    result = {"questions": out, "summary": summarise(out)}
    if errors:
        result["errors"] = errors
    return result


def summarise(questions: list[dict]) -> dict:
    """Per ``all``/``en``/``ko``: ``n``, share of questions where the human scores at or above the AI
    median (``at_or_above_median``) and at or above the best AI (``at_or_above_max``), the median
    human score, the median of the per-question AI medians, the median gap human - AI median, and
    the median of all skill-5 AI scores (``ai_all_median``, the issue's skill-5 band)."""
    out = {}
    for key in ("all", "en", "ko"):
        sel = [q for q in questions if (key == "all" or q["lang"] == key) and q["ai"]]
        if not sel:
            continue
        ai_all = [s for q in sel for s in q["ai"].values()]
        out[key] = {
            "n": len(sel),
            "at_or_above_median": sum(q["human"] >= q["ai_median"] for q in sel) / len(sel),
            "at_or_above_max": sum(q["human"] >= q["ai_max"] for q in sel) / len(sel),
            "human_median": median(q["human"] for q in sel),
            "ai_median": median(q["ai_median"] for q in sel),
            "gap_median": median(q["human"] - q["ai_median"] for q in sel),
            "ai_all_median": median(ai_all),
        }
    return out
