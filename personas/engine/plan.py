"""What goes into an answer, by question kind and skill (1 weak .. 5 strong).

How much each answer says depends on the language as well as the skill (``budget.py``:
a Korean sentence chains clauses and carries more, so a Korean answer says fewer sentences;
the counts below are English, Korean in brackets).

* technical (and company questions about a system), ``technical.py``: the
  persona's own subset of the best note's sentences (skill 5: four [two], 4: three [two],
  3: the first clause of one in the persona's own framing, in English one more fact or the persona's
  practice, then either how far its own experience goes or where its knowledge stops,
  ``budget.ADMITS_LIMITS``), never one an
  earlier answer in the room said; the persona's first-hand fact on the topic
  and its domain angle (skill 4-5), else its yardstick. Skill 2: half the main
  idea and a misconception; skill 1: unsure, one misconception from the note's
  pitfalls (or a half-remembered fact), a vague line, no numbers.
* behavioural, ``experience.py``: the best untold STAR story told in the
  persona's voice without labels (skill 3: situation, two [one] actions, an
  unquantified outcome; 4-5: task, actions, result, lesson [the situation's first
  sentence, two actions, result, lesson]) and, at skill 4-5,
  what the persona took from it (a note on ways of working). Skill 1-2: the
  story's vague gist and a vague line.
* culture fit: the persona's value, the note's idea and points when there is a
  note on ways of working (skill 3: two [one], 4-5: three [one]), a short story
  (skill 3: its gist only, and no closing hedge).
* company: motivation (its own, or its angle brought to the company named), else
  as technical or behavioural, with a tie to the company at skill 4-5.
* follow-ups (``"<main>\n<follow-up>"``): more of the story or notes the
  persona's own previous answer did not say. "Introduce yourself": name, years,
  role, strengths, a highlight, motivation.
* every answer keeps at most ``budget.PIECES_PER_MINUTE`` pieces of substance per minute of its turn
  (Korean skill 3: four, 4-5: six), highest priority first.

Priorities (``Ctx.add``'s second argument) decide what survives a short turn.
"""

from __future__ import annotations

from ..catalog import Story
from ..lexicon import coverage, features
from .context import INTRO_CUES, MOTIVATION_CUES, STORY_CUES, Ctx
from .experience import behavioural, culture, motivation
from .parts import closing, company_tie, pick_story, vague_fact, weak_line
from .stories import story_in_text
from .technical import technical
from .text import sentences


def build(ctx: Ctx) -> Story | None:
    """Add the answer's pieces to ``ctx``; returns the story told, if any."""
    if ctx.has_cue(INTRO_CUES):
        return intro(ctx)
    if ctx.follow_up:
        return follow_up(ctx)
    if ctx.category == "behavioural":
        return behavioural(ctx)
    if ctx.category == "technical":
        return technical(ctx)
    if ctx.category == "culture_fit":
        return culture(ctx)
    if ctx.has_cue(MOTIVATION_CUES):
        return motivation(ctx)
    story = behavioural(ctx) if ctx.has_cue(STORY_CUES) else technical(ctx)
    if ctx.skill >= 4:
        company_tie(ctx)
    return story


# --------------------------------------------------------------------------- follow-up

def follow_up(ctx: Ctx) -> Story | None:
    """Answer the follow-up line about the persona's own previous answer (in ``req.context``)."""
    lang, sk = ctx.lang, ctx.skill
    own = " ".join(ctx.req.context)
    story = story_in_text(ctx.persona, own, lang)
    if sk <= 2:
        ctx.add(ctx.v("weak_open", **ctx.filler_kw()), 58)
        ctx.add(story.part("gist", lang) if story else (vague_fact(ctx, ctx.note) if ctx.note else None), 80)
        ctx.add(ctx.v("weak_close"), 30)
        return None
    said = features(own)
    extra: list[str] = []
    if story is not None:
        extra += [s for s in sentences(story.part("action", lang)) if coverage(features(s), said) < 0.8]
        extra.append(story.part("lesson", lang))
    if ctx.note is not None:
        extra += [pt for pt in ctx.pick(ctx.note, 3, family="follow") if coverage(features(pt), said) < 0.8]
    if not extra:
        extra = [ctx.best_value()]
    ctx.add(ctx.c("follow_up", x=extra[0]), 95)
    for i, s in enumerate(extra[1:1 + sk - 2]):
        ctx.add(s, 90 - i)
    if sk >= 4 and ctx.facts:
        ctx.add(ctx.v("own", x=ctx.facts[0].part("example", lang)), 70)
    return None


# --------------------------------------------------------------------------- introduction

def intro(ctx: Ctx) -> Story | None:
    p, lang, sk = ctx.persona, ctx.lang, ctx.skill
    prof = p.profile
    role, name = prof["role"][lang], p.name(lang)
    if sk <= 2:
        ctx.add(ctx.v("weak_open", **ctx.filler_kw()), 40)
        ctx.add(ctx.c("intro_weak", role=role, name=name), 90)
        ctx.add(weak_line(ctx), 50)
        ctx.add(ctx.v("weak_close"), 20)
        return None
    ctx.add(ctx.v("openings"), 45)
    ctx.add(ctx.c("intro_who", years=str(prof["years"]), role=role, name=name), 98)
    skills = list(prof["skills"][lang])
    ctx.add(ctx.c("intro_skills", a=skills[0], b=skills[1], c=skills[2]), 92)
    story = pick_story(ctx) if sk >= 4 else None
    if story is not None:
        ctx.add(ctx.c("intro_story", title=story.part("title", lang), r=story.part("result", lang)), 90, story=True)
    ctx.add(ctx.best_value(), 70)
    ctx.add(prof["motivation"][lang], 80)
    closing(ctx)
    return story
