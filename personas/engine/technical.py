"""Technical answers (and company questions about a system): the notes' main idea and points, in the
persona's order, its own first-hand fact or the note's example, and its domain angle (see ``plan``)."""

from __future__ import annotations

from ..catalog import Story
from .budget import ADMITS_LIMITS, SECOND_FACT, note_sentences
from .context import Ctx
from .parts import closing, connect, opening, vague_fact, weak_asides, weak_line
from ..lexicon import features, strip_particle
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
        line, close = weak_asides(ctx)
        ctx.add(line, 50)
        ctx.add(close, 30)
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
    fact = ctx.facts[0] if ctx.facts else None
    borrowed = note.domain == "persona" and not note.id.startswith(ctx.persona.id + "-")
    # another persona's entry (no note in the knowledge base): the gist only, then this persona's own view
    m = note_sentences(lang, sk, ctx.req.budget_ms)
    said = ([note.gist] if not ctx.said_before(note.gist) else []) if borrowed else ctx.pick(note, m)
    if not borrowed and len(said) < m:
        # earlier candidates said most of it: the closely related notes give this persona something of its own
        for other in _related_notes(ctx):
            said += ctx.pick(other, m - len(said), family="related")
            if len(said) >= m:
                break
    whole = False
    if sk == 3:
        said = [first_clause(x, lang) for x in said[:1]]      # an average answer: part of what the note says
        whole = bool(said) and said[0] in (note.gist, *note.points)     # could not be cut (often in Korean)
    if said and not _names_topic(note.title, " ".join(said), lang) and not ctx.said_before(note.gist):
        said[0] = first_clause(note.gist, lang) if sk == 3 else note.gist   # the answer names its topic
    second = SECOND_FACT.get(lang, True)
    if sk == 3 and second:
        if fact is not None:            # ... and the persona's own practice, or one more fact
            said.append(ctx.first_sentence(fact.part("point", lang)))
        elif not borrowed and not whole:
            said += [x for x in ctx.pick(note, 2) if x not in said and first_clause(x, lang) not in said][:1]
    admits = sk == 3 and ADMITS_LIMITS.get(lang, False)
    for i, x in enumerate(said):
        if i == 0:
            ctx.add(ctx.v("mid_core" if admits else "core", gist=x), 96)
        else:
            ctx.add(connect(ctx, x) if sk >= 4 and ctx.rng.random() < 0.5 else x, 92 - 2 * i)
    if admits:
        # a mid-level candidate: what it knows, then how far its own experience goes or where it stops
        ctx.add(ctx.v(ctx.rng.choice(("mid_own", "mid_gap"))), 80)
        return None
    elif (fact is None or (sk == 3 and not second)) and sk <= 4:   # no first-hand fact: its own yardstick
        ctx.add(ctx.c("principle", principle=ctx.persona.profile["principle"][lang]), 64)
    if sk == 3:
        ctx.add(ctx.v("hedge"), 55)
        return None
    if fact is not None:
        ctx.add(ctx.v("own", x=fact.part("example", lang)), 84)
    if sk >= 5:
        if fact is not None:
            ctx.add(ctx.v("angle", x=fact.part("tradeoff", lang)), 70)
        related = _related(ctx)
        if related is not None:
            ctx.add(connect(ctx, related), 66)
    closing(ctx)
    return None


def _names_topic(title: str, text: str, lang: str) -> bool:
    """Whether ``text`` names the note's topic: the first word of its title (``Deadlock: conditions…``,
    ``데드락의 조건과…`` -> 데드락)."""
    words = title.split(":")[0].split(",")[0].split()
    if not words:
        return True
    head = strip_particle(words[0].strip("()")) if lang == "ko" else words[0]
    return bool(features(head) & features(text))


def _related_notes(ctx: Ctx) -> list:
    """The runner-up notes that are about as close to the question as the best one (score within 0.04)."""
    if len(ctx.notes) < 2 or ctx.notes[0].score is None:
        return []
    top = ctx.notes[0].score
    return [n for n in ctx.notes[1:] if n.score is not None and n.score >= top - 0.04]


def _related(ctx: Ctx) -> str | None:
    """One sentence of the runner-up note when it is about as close to the question as the best one."""
    for other in _related_notes(ctx)[:1]:
        picked = [x for x in ctx.pick(other, 1, family="related") if not any(x in pc.text for pc in ctx.pieces)]
        return picked[0] if picked else None
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
