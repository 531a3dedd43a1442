"""Pieces every kind of answer uses: the persona's opening and closing, a reference to an earlier
answer, the company tie, vague lines for weak answers, connectives, and picking or retelling a story."""

from __future__ import annotations

import re

from ..catalog import Story, load_catalog
from ..lexicon import content_words, features
from .budget import WEAK_ASIDES
from .context import Ctx
from .notes import NoteView
from .stories import rank_stories
from .text import first_clause, lower_first, sentences

_DIGIT = re.compile(r"\d")


def opening(ctx: Ctx) -> None:
    """The persona's own opening (skill 4-5; optional when time is short) and a reference to an earlier answer."""
    if ctx.skill >= 4 and ctx.category in ("technical", "company"):      # a story opens with the story
        ctx.add(ctx.v("openings"), 45)
    ctx.add(context_ref(ctx), 62)


def closing(ctx: Ctx) -> None:
    if ctx.skill >= 4:
        ctx.add(ctx.v("closings"), 40)


def company_tie(ctx: Ctx) -> None:
    ctx.add(ctx.c("company_tie", company=ctx.company_named(), angle=ctx.persona.profile["angle"][ctx.lang]), 56)


def context_ref(ctx: Ctx) -> str | None:
    """A reference to another candidate's earlier answer by its topic (skill 3+), never a copy."""
    others = [c for c in ctx.req.context if c and c.strip()]
    if ctx.skill < 3 or not others or ctx.follow_up:
        return None
    if ctx.skill == 3 and ctx.rng.random() < 0.5:
        return None
    angle = ctx.persona.profile["angle"][ctx.lang]
    names = {n.lower() for other in load_catalog().values()
             for n in (other.id, other.company["ko"], other.company["en"], *other.company.get("aliases", ()))}
    words = [w for w in content_words(others[-1], ctx.lang) if w.lower() not in names]
    shared = [w for w in words if features(w) & ctx.q_feat]
    pool = shared or [w for w in words if len(w) >= (3 if ctx.lang == "ko" else 6)]
    if not pool:
        return ctx.c("ctx_plain", angle=angle)
    counts: dict[str, int] = {}
    for w in pool:
        counts[w] = counts.get(w, 0) + 1
    return ctx.c("ctx_topic", x=max(counts, key=lambda w: (counts[w], len(w))), angle=angle)


def numberless(text: str) -> bool:
    """Non-empty and without digits (weak answers carry no numbers)."""
    return bool(text) and not _DIGIT.search(text)


def vague_fact(ctx: Ctx, note: NoteView) -> str | None:
    """A half-remembered fact: the first clause of one of the note's points, short and without numbers."""
    limit = 9 if ctx.lang == "ko" else 14
    halves = [first_clause(p, ctx.lang) for p in ctx.points(note, len(note.points), family="vague")]
    halves = [h for h in halves if not ctx.said_before(h)] or halves      # not the previous candidate's words
    plain = [h for h in halves if numberless(h)]
    short = [h for h in plain if len(h.split()) <= limit]
    if short:
        return short[0]
    return min(plain, key=lambda h: len(h.split())) if plain else None


def weak_line(ctx: Ctx) -> str:
    return ctx.style("weak_lines")


def weak_asides(ctx: Ctx) -> tuple[str | None, str | None]:
    """(a vague line, a trailing-off close) for a weak answer; at skill 1 in a language whose
    ``budget.WEAK_ASIDES`` is 1, only one of the two (by seed), else both."""
    line, close = weak_line(ctx), ctx.v("weak_close")
    if ctx.skill == 1 and WEAK_ASIDES.get(ctx.lang, 2) == 1:
        return (line, None) if ctx.rng.random() < 0.5 else (None, close)
    return line, close


def connect(ctx: Ctx, sentence: str) -> str:
    """``sentence`` led by one of the persona's connectives (``숫자로 보면, …``, ``In practice, …``)."""
    if all(c in ctx.used_frames for c in ctx.voice["connectives"]):
        return sentence                      # every lead said once already: none rather than a repeat
    lead = ctx.fresh(ctx.voice["connectives"])
    if ctx.lang == "en":
        return f"{lead} {lower_first(sentence)}"
    return f"{lead} {sentence}"


def pick_story(ctx: Ctx, min_score: float = 0.0) -> Story | None:
    ranked = rank_stories(ctx.persona, ctx.q_feat, ctx.themes, ctx.lang, ctx.req.used_story_ids, ctx.rng)
    if not ranked or ranked[0][0] < min_score:
        return None
    return ranked[0][1]


def short_story(ctx: Ctx, story: Story, prio: int = 80) -> None:
    lang = ctx.lang
    ctx.add(ctx.v("story_in", title=story.part("title", lang)), prio - 4, story=True)
    ctx.add(sentences(story.part("situation", lang))[0], prio, story=True)
    ctx.add(sentences(story.part("action", lang))[0], prio + 2, story=True)
    ctx.add(story.part("result", lang), prio + 4, story=True)
