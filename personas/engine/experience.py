"""Answers from experience: behavioural (a STAR story told without labels), culture fit (values,
the notes on ways of working, a short story) and company motivation (see ``plan``)."""

from __future__ import annotations

from ..catalog import Story
from .budget import MOTIVATION_POINTS, STORY_ACTIONS, STORY_SITUATION, VALUE_POINTS, amount
from .context import MOTIVATION_CUES, Ctx
from .parts import closing, company_tie, connect, opening, pick_story, short_story, weak_asides
from .stories import rank_stories
from .text import drop_lead, first_clause, sentences


def behavioural(ctx: Ctx) -> Story | None:
    p, lang, sk = ctx.persona, ctx.lang, ctx.skill
    ranked = rank_stories(p, ctx.q_feat, ctx.themes, lang, ctx.req.used_story_ids, ctx.rng)
    if sk <= 2:
        story = None
        if ranked:
            # a weak candidate grabs whatever comes to mind, not always the best fit
            story = ranked[0][1] if sk == 2 else ranked[min(len(ranked) - 1, ctx.rng.randrange(2))][1]
        line, close = weak_asides(ctx)
        ctx.add(ctx.v("weak_open", **ctx.filler_kw()), 40 if sk == 2 else 58)
        if story is not None:
            ctx.add(story.part("gist", lang), 90, story=True)
        ctx.add(line, 70)
        if sk == 1 and ctx.note is not None and ctx.pitfall(ctx.note):
            ctx.add(ctx.pitfall(ctx.note), 65)
        elif sk == 2 and ctx.note is not None:
            ctx.add(first_clause(ctx.note.gist, lang), 60)
        ctx.add(close, 30)
        return story
    opening(ctx)
    if "weakness" in ctx.themes:
        w = p.weaknesses[ctx.rng.randrange(len(p.weaknesses))]
        ctx.add(ctx.c("weakness", w=w["text"][lang], i=w["improvement"][lang]), 97)
    story = ranked[0][1] if ranked else None
    if story is None:
        ctx.add(ctx.c("no_story"), 50)
        principles_body(ctx)
        closing(ctx)
        return None
    tell_star(ctx, story)
    if sk >= 4 and ctx.note is not None and ctx.note.domain != "persona":
        pts = ctx.pick(ctx.note, 1, family="insight") or [ctx.note.gist]
        ctx.add(ctx.v("insight", p=pts[0]), 74 if sk >= 5 else 58)
    closing(ctx)
    return story


def tell_star(ctx: Ctx, story: Story) -> None:
    """The story in the persona's voice: situation, (task), actions, result, (lesson); no STAR labels."""
    lang, sk = ctx.lang, ctx.skill
    title = story.part("title", lang)
    ctx.add(ctx.v("story_in", title=title), 78, story=True)
    sit = sentences(story.part("situation", lang))
    told = sit[:amount(STORY_SITUATION, lang, sk) or len(sit)]
    ctx.add(" ".join(told), 93, short=sit[0] if len(told) > 1 else None, story=True)
    if sk >= 4:
        ctx.add(story.part("task", lang), 82, story=True)
    acts = sentences(story.part("action", lang))
    n = amount(STORY_ACTIONS, lang, sk) or len(acts)
    for i, a in enumerate(acts[:n]):
        if i == 0 and sk >= 4:
            ctx.add(ctx.v("story_action", a=a), 95, short=a, story=True)
        else:
            ctx.add(a, 95 if i == 0 else 86 - i, story=True)
    # an average answer forgets to quantify its outcome: the story's plain gist instead of the result
    ctx.add(story.part("result", lang) if sk >= 4 else story.part("gist", lang), 99, story=True)
    if sk >= 4:
        ctx.add(ctx.v("lesson", l=story.part("lesson", lang)), 76, story=True)


def principles_body(ctx: Ctx) -> None:
    """Every story already told: the persona's value, the note's idea and a first-hand fact."""
    ctx.add(ctx.best_value(), 90)
    if ctx.note is not None:
        for pt in ctx.pick(ctx.note, 3 if ctx.skill >= 4 else 2):
            ctx.add(pt, 88)
    k = ctx.facts[0] if ctx.facts else ctx.persona.knowledge[ctx.rng.randrange(len(ctx.persona.knowledge))]
    ctx.add(ctx.v("own", x=k.part("example", ctx.lang)), 84)
    if ctx.skill >= 4:
        w = ctx.persona.weaknesses[-1]
        ctx.add(w["improvement"][ctx.lang], 60)


# --------------------------------------------------------------------------- culture fit

def culture(ctx: Ctx) -> Story | None:
    p, lang, sk, note = ctx.persona, ctx.lang, ctx.skill, ctx.note
    if sk <= 2:
        ctx.add(ctx.v("weak_open", **ctx.filler_kw()), 40 if sk == 2 else 58)
        if sk == 2:
            ctx.add(ctx.first_sentence(ctx.best_value()), 90)
        line, close = weak_asides(ctx)
        ctx.add(line, 70)
        if note is not None:
            ctx.add(ctx.pitfall(note) if sk == 1 else first_clause(note.gist, lang), 65)
        ctx.add(close, 30)
        return None
    opening(ctx)
    if "weakness" in ctx.themes:
        w = p.weaknesses[0]
        ctx.add(ctx.c("weakness", w=w["text"][lang], i=w["improvement"][lang]), 97)
    ctx.add(ctx.best_value(), 95)
    if note is not None:
        for i, pt in enumerate(ctx.pick(note, amount(VALUE_POINTS, lang, sk))):
            ctx.add(connect(ctx, pt) if i else ctx.v("core", gist=drop_lead(pt, ctx.common["dangling_leads"])),
                    92 - 2 * i)
    if note is None and ctx.has_cue(MOTIVATION_CUES):
        ctx.add(p.profile["motivation"][lang], 90)      # "why did you choose ...": the persona's own why
    story = pick_story(ctx)          # a values answer always brings its evidence
    if story is not None and sk == 3:
        ctx.add(story.part("gist", lang), 84, story=True)       # an average answer: the story's plain gist
    elif story is not None:
        short_story(ctx, story)
        if sk >= 5:
            ctx.add(ctx.v("lesson", l=story.part("lesson", lang)), 72, story=True)
    elif sk >= 4 and ctx.facts:
        ctx.add(ctx.v("own", x=ctx.facts[0].part("example", lang)), 80)
    closing(ctx)          # (no hedge: "I'd check it with metrics" closes a design, not a values answer)
    return story


# --------------------------------------------------------------------------- company motivation

def motivation(ctx: Ctx) -> Story | None:
    p, lang, sk = ctx.persona, ctx.lang, ctx.skill
    target = ctx.mentioned_persona()
    company = ctx.company_named()
    if target is None or target is p:
        why = p.profile["motivation"][lang]
    else:
        why = ctx.c("motivation_other", company=company, angle=p.profile["angle"][lang],
                    their=target.profile["angle"][lang])
    if sk <= 2:
        ctx.add(ctx.v("weak_open", **ctx.filler_kw()), 40 if sk == 2 else 58)
        ctx.add(ctx.first_sentence(why) if sk == 2 else ctx.c("weak_motivation", company=company), 90)
        line, close = weak_asides(ctx)
        ctx.add(line, 60)
        ctx.add(close, 30)
        return None
    opening(ctx)
    ctx.add(why, 96)
    ctx.add(ctx.best_value(), 85)
    story = pick_story(ctx, min_score=0.5)
    if story is not None and sk == 3:
        ctx.add(story.part("gist", lang), 70, story=True)       # an average answer: the story's plain gist
    elif story is not None:
        short_story(ctx, story, prio=80)
    if sk >= 4:
        if ctx.note is not None:
            for pt in ctx.pick(ctx.note, amount(MOTIVATION_POINTS, lang, sk)):
                ctx.add(pt, 78)
        company_tie(ctx)
    closing(ctx)
    return story
