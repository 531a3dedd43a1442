"""Technical answers (and company questions about a system): the notes' main idea and points, in the
persona's order, its own first-hand fact or the note's example, and its domain angle (see ``plan``)."""

from __future__ import annotations

from ..catalog import Story
from .context import Ctx
from .parts import closing, connect, opening, vague_fact, weak_line
from .text import first_clause


def technical(ctx: Ctx) -> Story | None:
    note, sk, lang = ctx.note, ctx.skill, ctx.lang
    if note is None:
        return principles(ctx)
    if sk == 1:
        # unsure, one misconception from the notes (a half-remembered fact when there is none), a vague line
        ctx.add(ctx.v("weak_open", **ctx.filler_kw()), 58)
        pit = ctx.pitfall(note)
        if pit:
            ctx.add(ctx.v("weak_guess", x=pit), 85)
        else:
            ctx.add(vague_fact(ctx, note), 75)
        ctx.add(weak_line(ctx), 50)
        ctx.add(ctx.v("weak_close"), 30)
        return None
    if sk == 2:
        ctx.add(ctx.v("weak_open", **ctx.filler_kw()), 40)
        ctx.add(first_clause(note.gist, lang), 90)
        pit = ctx.pitfall(note)
        if pit:
            ctx.add(ctx.v("weak_guess", x=pit), 80)
        ctx.add(vague_fact(ctx, note), 70)
        ctx.add(ctx.v("weak_close"), 30)
        return None
    opening(ctx)
    pts = ctx.points(note, {3: 2, 4: 2, 5: 2}[sk])
    core = note.gist
    if sk == 3:
        # an average answer: the main idea only in part (or whatever it remembers best), one more fact
        core = first_clause(note.gist, lang)
        pts = pts[:1]
    fact = ctx.facts[0] if ctx.facts else None
    if sk == 3 and fact is not None:    # an average answer leans on what the persona does at work
        pts = [ctx.first_sentence(fact.part("point", lang))]
    ctx.add(ctx.v("core", gist=core), 96)
    for i, p in enumerate(pts):
        if i >= 1 and sk >= 4 and ctx.rng.random() < 0.6:
            p = connect(ctx, p)
        ctx.add(p, 92 - 2 * i)
    if fact is None and sk <= 4:        # no first-hand fact on this topic: the persona's own yardstick
        ctx.add(ctx.c("principle", principle=ctx.persona.profile["principle"][lang]), 64)
    if sk == 3:
        ctx.add(ctx.v("hedge"), 55)
        return None
    if fact is not None:
        ctx.add(ctx.v("own", x=fact.part("example", lang)), 84)
    elif note.example:
        ctx.add(ctx.v("example", e=note.example), 84)
    if sk >= 5:
        if fact is not None:
            ctx.add(ctx.v("angle", x=fact.part("tradeoff", lang)), 70)
        else:
            extra = ctx.points(note, 3)[2:]
            if extra:
                ctx.add(connect(ctx, extra[0]), 70)
    closing(ctx)
    return None


def principles(ctx: Ctx) -> None:
    """No note at all (an empty knowledge base): the persona's value and first-hand fact."""
    if ctx.skill <= 2:
        ctx.add(ctx.v("weak_open", **ctx.filler_kw()), 58)
        ctx.add(weak_line(ctx), 70)
        ctx.add(ctx.v("weak_close"), 30)
        return None
    opening(ctx)
    ctx.add(ctx.best_value(), 90)
    k = ctx.facts[0] if ctx.facts else ctx.persona.knowledge[0]
    ctx.add(k.part("point", ctx.lang), 88)
    if ctx.skill >= 4:
        ctx.add(ctx.v("own", x=k.part("example", ctx.lang)), 84)
    closing(ctx)
    return None
