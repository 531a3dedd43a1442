"""What goes into an answer, by question kind and skill (1 weak .. 5 strong).

* technical (and company questions about a system): the core idea of the best
  note, then its points (skill 3: two, skill 4-5: three, in the persona's own
  order), the persona's first-hand fact on the topic or the note's example, and
  at skill 5 a second note and the persona's domain angle. Skill 2: half the
  core idea and a common misconception; skill 1: unsure, one misconception and
  one half-remembered fact, no numbers.
* behavioural: the best untold STAR story, told in the persona's voice without
  labels (skill 3: situation, one action, result; 4-5: task, actions, lesson)
  and, at skill 4-5, what the persona took from it (a note point). Skill 1-2:
  the story's vague gist and a vague line.
* culture fit: the persona's value, the note's core idea and points, a short story.
* company: motivation (its own, or its angle brought to the company named), else
  as technical or behavioural, with a tie to the company at skill 4-5.
* "introduce yourself": name, years, role, strengths, a highlight, motivation.

Priorities (``Ctx.add``'s second argument) decide what survives a short turn.
"""

from __future__ import annotations

import re

from ..catalog import Story
from ..lexicon import content_words, coverage, features
from .context import INTRO_CUES, MOTIVATION_CUES, STORY_CUES, Ctx
from .notes import NoteView
from .stories import rank_stories, story_in_text
from .text import first_clause, lower_first, sentences
from .voice import family_rank

_DIGIT = re.compile(r"\d")


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
        _company_tie(ctx)
    return story


# --------------------------------------------------------------------------- shared parts

def opening(ctx: Ctx) -> None:
    """The persona's own opening (skill 4-5; optional when time is short) and a reference to an earlier answer."""
    if ctx.skill >= 4:
        ctx.add(ctx.v("openings"), 45)
    ctx.add(context_ref(ctx), 62)


def closing(ctx: Ctx) -> None:
    if ctx.skill >= 4:
        ctx.add(ctx.v("closings"), 40)


def _company_tie(ctx: Ctx) -> None:
    ctx.add(ctx.c("company_tie", company=ctx.company_named(), angle=ctx.persona.profile["angle"][ctx.lang]), 56)


def context_ref(ctx: Ctx) -> str | None:
    """A reference to another candidate's earlier answer by its topic (skill 3+), never a copy."""
    others = [c for c in ctx.req.context if c and c.strip()]
    if ctx.skill < 3 or not others or ctx.follow_up:
        return None
    if ctx.skill == 3 and ctx.rng.random() < 0.5:
        return None
    angle = ctx.persona.profile["angle"][ctx.lang]
    words = content_words(others[-1], ctx.lang)
    shared = [w for w in words if features(w) & ctx.q_feat]
    pool = shared or [w for w in words if len(w) >= (3 if ctx.lang == "ko" else 6)]
    if not pool:
        return ctx.c("ctx_plain", angle=angle)
    counts: dict[str, int] = {}
    for w in pool:
        counts[w] = counts.get(w, 0) + 1
    return ctx.c("ctx_topic", x=max(counts, key=lambda w: (counts[w], len(w))), angle=angle)


def _plain(text: str) -> bool:
    return bool(text) and not _DIGIT.search(text)


def _vague_fact(ctx: Ctx, note: NoteView) -> str | None:
    """A half-remembered fact: the first clause of one of the note's points, short and without numbers."""
    limit = 9 if ctx.lang == "ko" else 14
    halves = [first_clause(p, ctx.lang) for p in ctx.points(note, len(note.points), family="vague")]
    plain = [h for h in halves if _plain(h)]
    short = [h for h in plain if len(h.split()) <= limit]
    if short:
        return short[0]
    return min(plain, key=lambda h: len(h.split())) if plain else None


def _weak_line(ctx: Ctx) -> str:
    return ctx.style("weak_lines")


# --------------------------------------------------------------------------- technical

def technical(ctx: Ctx) -> Story | None:
    note, sk, lang = ctx.note, ctx.skill, ctx.lang
    if note is None:
        return _principles(ctx)
    if sk == 1:
        # unsure, one misconception from the notes (a half-remembered fact when there is none), a vague line
        ctx.add(ctx.v("weak_open", **ctx.filler_kw()), 58)
        pit = ctx.pitfall(note)
        if pit:
            ctx.add(ctx.v("weak_guess", x=pit), 85)
        else:
            ctx.add(_vague_fact(ctx, note), 75)
        ctx.add(_weak_line(ctx), 50)
        ctx.add(ctx.v("weak_close"), 30)
        return None
    if sk == 2:
        ctx.add(ctx.v("weak_open", **ctx.filler_kw()), 40)
        ctx.add(first_clause(note.gist, lang), 90)
        pit = ctx.pitfall(note)
        if pit:
            ctx.add(ctx.v("weak_guess", x=pit), 80)
        ctx.add(_vague_fact(ctx, note), 70)
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
            p = _connect(ctx, p)
        ctx.add(p, 92 - 2 * i)
    if fact is None and sk <= 4:        # no first-hand fact on this topic: the persona's own yardstick
        ctx.add(ctx.c("principle", principle=ctx.persona.profile["principle"][lang]), 64)
    if sk == 3:
        ctx.add(ctx.v("hedge"), 55)
        return None
    if fact is not None:
        ctx.add(ctx.v("own", x=fact.part("example", lang)), 84)
    elif note.example and ctx.slot(note, "example") % 2 == 0:
        ctx.add(ctx.v("example", e=note.example), 84)
    else:                               # half the personas bring another fact instead of the note's example
        more = [p for p in ctx.points(note, 4) if p not in pts]
        ctx.add(_connect(ctx, more[0]) if more else None, 84)
    if sk >= 5:
        if fact is not None:
            ctx.add(ctx.v("angle", x=fact.part("tradeoff", lang)), 70)
        else:
            extra = ctx.points(note, 3)[2:]
            if extra:
                ctx.add(_connect(ctx, extra[0]), 70)
    closing(ctx)
    return None


def _connect(ctx: Ctx, sentence: str) -> str:
    """``sentence`` led by one of the persona's connectives (``숫자로 보면, …``, ``In practice, …``)."""
    lead = ctx.rng.choice(ctx.voice["connectives"])
    if ctx.lang == "en":
        return f"{lead} {lower_first(sentence)}"
    return f"{lead} {sentence}"


def _second_note(ctx: Ctx) -> NoteView | None:
    """The runner-up note, when it is close enough to the question to be worth a sentence."""
    if len(ctx.notes) < 2:
        return None
    a, b = ctx.notes[0], ctx.notes[1]
    if a.score is not None and b.score is not None:
        return b if b.score >= 0.85 * a.score else None
    return b if coverage(ctx.q_feat, features(f"{b.title} {b.gist}")) >= 0.25 else None


def _principles(ctx: Ctx) -> None:
    """No note at all (an empty knowledge base): the persona's value and first-hand fact."""
    if ctx.skill <= 2:
        ctx.add(ctx.v("weak_open", **ctx.filler_kw()), 58)
        ctx.add(_weak_line(ctx), 70)
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


# --------------------------------------------------------------------------- behavioural

def _pick_story(ctx: Ctx, min_score: float = 0.0) -> Story | None:
    ranked = rank_stories(ctx.persona, ctx.q_feat, ctx.themes, ctx.lang, ctx.req.used_story_ids, ctx.rng)
    if not ranked or ranked[0][0] < min_score:
        return None
    return ranked[0][1]


def behavioural(ctx: Ctx) -> Story | None:
    p, lang, sk = ctx.persona, ctx.lang, ctx.skill
    ranked = rank_stories(p, ctx.q_feat, ctx.themes, lang, ctx.req.used_story_ids, ctx.rng)
    if sk <= 2:
        story = None
        if ranked:
            # a weak candidate grabs whatever comes to mind, not always the best fit
            story = ranked[0][1] if sk == 2 else ranked[min(len(ranked) - 1, ctx.rng.randrange(2))][1]
        ctx.add(ctx.v("weak_open", **ctx.filler_kw()), 40 if sk == 2 else 58)
        if story is not None:
            ctx.add(story.part("gist", lang), 90, story=True)
        ctx.add(_weak_line(ctx), 70)
        if sk == 1 and ctx.note is not None and ctx.pitfall(ctx.note):
            ctx.add(ctx.pitfall(ctx.note), 65)
        elif sk == 2 and ctx.note is not None:
            ctx.add(first_clause(ctx.note.gist, lang), 60)
        ctx.add(ctx.v("weak_close"), 30)
        return story
    opening(ctx)
    if "weakness" in ctx.themes:
        w = p.weaknesses[ctx.rng.randrange(len(p.weaknesses))]
        ctx.add(ctx.c("weakness", w=w["text"][lang], i=w["improvement"][lang]), 97)
    story = ranked[0][1] if ranked else None
    if story is None:
        ctx.add(ctx.c("no_story"), 50)
        _principles_body(ctx)
        closing(ctx)
        return None
    tell_star(ctx, story)
    if sk >= 4 and ctx.note is not None and ctx.note.domain != "persona":
        pts = ctx.points(ctx.note, 1, family="insight") or [ctx.note.gist]
        ctx.add(ctx.v("insight", p=pts[0]), 74 if sk >= 5 else 58)
    closing(ctx)
    return story


def tell_star(ctx: Ctx, story: Story) -> None:
    """The story in the persona's voice: situation, (task), actions, result, (lesson); no STAR labels."""
    lang, sk = ctx.lang, ctx.skill
    title = story.part("title", lang)
    ctx.add(ctx.v("story_in", title=title), 78, story=True)
    sit = sentences(story.part("situation", lang))
    if sk >= 4:
        ctx.add(" ".join(sit), 93, short=sit[0], story=True)
        ctx.add(story.part("task", lang), 82, story=True)
    else:
        ctx.add(sit[0], 93, story=True)
    acts = sentences(story.part("action", lang))
    n = {3: 2, 4: 2}.get(sk, len(acts))
    for i, a in enumerate(acts[:n]):
        if i == 0 and sk >= 4:
            ctx.add(ctx.v("story_action", a=a), 95, short=a, story=True)
        else:
            ctx.add(a, 95 if i == 0 else 86 - i, story=True)
    ctx.add(story.part("result", lang), 99, story=True)
    if sk >= 4:
        ctx.add(ctx.v("lesson", l=story.part("lesson", lang)), 76, story=True)


def _principles_body(ctx: Ctx) -> None:
    """Every story already told: the persona's value, the note's idea and a first-hand fact."""
    ctx.add(ctx.best_value(), 90)
    if ctx.note is not None:
        ctx.add(ctx.note.gist, 92)
        for pt in ctx.points(ctx.note, 2 if ctx.skill >= 4 else 1):
            ctx.add(pt, 88)
    k = ctx.facts[0] if ctx.facts else ctx.persona.knowledge[ctx.rng.randrange(len(ctx.persona.knowledge))]
    ctx.add(ctx.v("own", x=k.part("example", ctx.lang)), 84)
    if ctx.skill >= 4:
        w = ctx.persona.weaknesses[-1]
        ctx.add(w["improvement"][ctx.lang], 60)


def short_story(ctx: Ctx, story: Story, prio: int = 80) -> None:
    lang = ctx.lang
    ctx.add(ctx.v("story_in", title=story.part("title", lang)), prio - 4, story=True)
    ctx.add(sentences(story.part("situation", lang))[0], prio, story=True)
    ctx.add(sentences(story.part("action", lang))[0], prio + 2, story=True)
    ctx.add(story.part("result", lang), prio + 4, story=True)


# --------------------------------------------------------------------------- culture fit

def culture(ctx: Ctx) -> Story | None:
    p, lang, sk, note = ctx.persona, ctx.lang, ctx.skill, ctx.note
    if sk <= 2:
        ctx.add(ctx.v("weak_open", **ctx.filler_kw()), 40 if sk == 2 else 58)
        if sk == 2:
            ctx.add(ctx.first_sentence(ctx.best_value()), 90)
        ctx.add(_weak_line(ctx), 70)
        if note is not None:
            ctx.add(ctx.pitfall(note) if sk == 1 else first_clause(note.gist, lang), 65)
        ctx.add(ctx.v("weak_close"), 30)
        return None
    opening(ctx)
    if "weakness" in ctx.themes:
        w = p.weaknesses[0]
        ctx.add(ctx.c("weakness", w=w["text"][lang], i=w["improvement"][lang]), 97)
    ctx.add(ctx.best_value(), 95)
    if note is not None:
        ctx.add(ctx.v("core", gist=note.gist), 92)
        for i, pt in enumerate(ctx.points(note, {3: 1, 4: 2, 5: 2}[sk])):
            ctx.add(_connect(ctx, pt) if i else pt, 88 - i)
    if note is None and ctx.has_cue(MOTIVATION_CUES):
        ctx.add(p.profile["motivation"][lang], 90)      # "why did you choose ...": the persona's own why
    story = _pick_story(ctx)          # a values answer always brings its evidence
    if story is not None:
        short_story(ctx, story)
        if sk >= 5:
            ctx.add(ctx.v("lesson", l=story.part("lesson", lang)), 72, story=True)
    elif sk >= 4 and ctx.facts:
        ctx.add(ctx.v("own", x=ctx.facts[0].part("example", lang)), 80)
    if sk == 3:
        ctx.add(ctx.v("hedge"), 55)
    closing(ctx)
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
        ctx.add(_weak_line(ctx), 60)
        ctx.add(ctx.v("weak_close"), 30)
        return None
    opening(ctx)
    ctx.add(why, 96)
    ctx.add(ctx.best_value(), 85)
    story = _pick_story(ctx, min_score=0.5)
    if story is not None:
        short_story(ctx, story, prio=80 if sk >= 4 else 70)
    if sk >= 4:
        if ctx.note is not None:
            for pt in ctx.points(ctx.note, 2 if sk >= 5 else 1):
                ctx.add(pt, 78)
        _company_tie(ctx)
    else:
        ctx.add(ctx.v("hedge"), 55)
    closing(ctx)
    return story


# --------------------------------------------------------------------------- follow-up

def follow_up(ctx: Ctx) -> Story | None:
    """Answer the follow-up line about the persona's own previous answer (in ``req.context``)."""
    lang, sk = ctx.lang, ctx.skill
    own = " ".join(ctx.req.context)
    story = story_in_text(ctx.persona, own, lang)
    if sk <= 2:
        ctx.add(ctx.v("weak_open", **ctx.filler_kw()), 58)
        ctx.add(story.part("gist", lang) if story else (_vague_fact(ctx, ctx.note) if ctx.note else None), 80)
        ctx.add(ctx.v("weak_close"), 30)
        return None
    said = features(own)
    extra: list[str] = []
    if story is not None:
        extra += [s for s in sentences(story.part("action", lang)) if coverage(features(s), said) < 0.8]
        extra.append(story.part("lesson", lang))
    if ctx.note is not None:
        extra += [pt for pt in ctx.points(ctx.note, 3, family="follow") if coverage(features(pt), said) < 0.8]
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
        ctx.add(_weak_line(ctx), 50)
        ctx.add(ctx.v("weak_close"), 20)
        return None
    ctx.add(ctx.v("openings"), 45)
    ctx.add(ctx.c("intro_who", years=str(prof["years"]), role=role, name=name), 98)
    skills = list(prof["skills"][lang])
    ctx.add(ctx.c("intro_skills", a=skills[0], b=skills[1], c=skills[2]), 92)
    story = _pick_story(ctx) if sk >= 4 else None
    if story is not None:
        ctx.add(ctx.c("intro_story", title=story.part("title", lang), r=story.part("result", lang)), 90, story=True)
    ctx.add(ctx.best_value(), 70)
    ctx.add(prof["motivation"][lang], 80)
    closing(ctx)
    return story
