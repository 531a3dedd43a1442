"""Fairness figure: a strong human answer against the skill-5 AI candidates on the same question.

For every bank question (and language) that has a grade-5 answer in the graded sets, that
human answer is scored together with the six personas' skill-5 answers in one
``score_answers`` call, as a room scores one question. Questions are grouped per language
into simulated matches of ``MATCH_QUESTIONS`` questions, so a persona does not repeat a story
inside a match (``used_story_ids``), as in a room.

The personas are reached only through ``personas.engine.compose_answer`` and
``personas.engine.AnswerRequest`` (the engine may be a module or a package). The request
carries what a room sends: persona, question text, language, skill, seed, category, question
id and the stories already told, plus the question's key points only while the room still
puts them in its job (``rooms.jobs.AIAnswerJob`` has a ``key_points`` field) and
``AnswerRequest`` accepts them; issue 9 takes the rubric away from the personas, and then
this follows without a change here. ``key_points="never"`` forces the rubric-free request.
Fields the installed ``AnswerRequest`` does not have are dropped. If the personas cannot be
imported, :func:`run` returns ``{"error": ...}``. This is the only place ``scoring`` reaches
``personas``, lazily and only for ``make eval``; tests inject a :class:`Composer`.
"""

from __future__ import annotations

import dataclasses
import inspect
from dataclasses import dataclass
from statistics import median
from typing import Callable, Iterable

from rooms.jobs import AIAnswerJob
from rooms.questions import Question, QuestionBank, default_bank
from rooms.scoring import AnswerToScore

MATCH_QUESTIONS = 5
SKILL = 5
HUMAN = "human"
FALLBACK_PERSONAS = ("baemin", "coupang", "daangn", "kakao", "naver", "toss")


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
    returns ``(text, story_id or None)``; ``persona_ids`` in seat order; ``key_points_passed`` says
    whether the rubric reached the personas."""

    persona_ids: tuple
    compose: Callable
    key_points_passed: bool = False


def room_sends_key_points() -> bool:
    """True while the room's AI answer job still carries the question's key points."""
    return "key_points" in {f.name for f in dataclasses.fields(AIAnswerJob)}


def persona_composer(key_points: str = "room") -> Composer:
    """The offline persona engine as a :class:`Composer` (skill ``SKILL``).

    ``key_points``: ``"room"`` (pass them when the room does, see the module doc) or ``"never"``.

    Raises:
        ImportError: when ``personas.engine`` is not importable.
    """
    from personas.engine import AnswerRequest, compose_answer  # the only names used
    try:
        from personas.catalog import persona_ids
        ids = tuple(persona_ids())
    except Exception:  # noqa: BLE001 - the catalogue moved; the six shipped personas
        ids = FALLBACK_PERSONAS
    try:
        fields = {f.name for f in dataclasses.fields(AnswerRequest)}
    except TypeError:
        fields = set(inspect.signature(AnswerRequest).parameters)
    pass_kp = key_points == "room" and room_sends_key_points() and "key_points" in fields

    def compose(pid: str, q: Question, lang: str, seed: int, used: frozenset):
        want = dict(persona_id=pid, question_text=q.text(lang), lang=lang, skill=SKILL, seed=seed,
                    category=q.category, question_id=q.id, used_story_ids=used)
        if pass_kp:
            want["key_points"] = tuple(q.key_points(lang))
        a = compose_answer(AnswerRequest(**{n: v for n, v in want.items() if n in fields}))
        return a.text, getattr(a, "story_id", None)

    return Composer(ids, compose, pass_kp)


def run(scorer, rows: Iterable[dict], bank: QuestionBank | None = None, key_points: str = "room",
        composer: Composer | None = None) -> dict:
    """Score each strong human answer against the skill-5 AI candidates.

    ``composer`` defaults to :func:`persona_composer` (``key_points``).
    Returns ``{"key_points_passed": bool, "questions": [{"qid", "lang", "match", "human", "ai_median",
    "ai_max", "ai": {persona: score}, "human_rank"}], "summary": summarise(...)}``, scores 0-100;
    ``human_rank`` is 1 for the best of the seven (ties count for the human). A persona that raises
    is left out of that question (``errors`` lists it). ``{"error": str}`` when the personas cannot
    be imported.
    """
    bank = bank or default_bank()
    if composer is None:
        try:
            composer = persona_composer(key_points)
        except Exception as e:  # noqa: BLE001 - report, do not fail the whole eval
            return {"error": f"personas unavailable: {type(e).__name__}: {e}"}
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
    result = {"key_points_passed": composer.key_points_passed, "questions": out, "summary": summarise(out)}
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
