"""Choosing a persona's STAR story for a question (themes and wording), never one already told."""

from __future__ import annotations

import random

from ..catalog import Persona, Story
from ..lexicon import TAG_KEYWORDS, coverage, cue_hits, features

_FEATURES: dict[tuple[str, str], frozenset] = {}


def story_features(story: Story, lang: str) -> frozenset:
    """Matching features of a story's title, situation, task, action and lesson (cached)."""
    key = (story.id, lang)
    f = _FEATURES.get(key)
    if f is None:
        parts = " ".join(story.part(p, lang) for p in ("title", "situation", "task", "action", "lesson"))
        f = _FEATURES[key] = features(parts + " " + " ".join(story.tags))
    return f


# Themes that most stories touch and many questions name in passing ("a teammate"): half weight,
# so the theme the question is about ("disagreed" -> conflict) decides the story.
_GENERIC_THEMES = frozenset({"teamwork", "collaboration", "communication", "customer", "performance", "data",
                             "quality", "ownership"})


# Themes a behavioural question is usually *about* ("a time you disagreed" -> conflict): 1.5 weight.
_SITUATION_THEMES = frozenset({"conflict", "failure", "leadership", "mentoring", "incident", "persuasion",
                               "deadline", "pressure", "learning", "ethics", "weakness"})


def theme_scores(question_low: str, lang: str) -> dict[str, float]:
    """Story themes (``conflict``, ``failure``...) the question names: cue count x 1.5 for the situation
    themes, x 0.5 for generic ones (``teamwork``...), x 1 otherwise."""
    out = {}
    for tag, cues in TAG_KEYWORDS.items():
        n = len(cue_hits(question_low, cues[lang], lang))
        if n:
            w = 1.5 if tag in _SITUATION_THEMES else 0.5 if tag in _GENERIC_THEMES else 1.0
            out[tag] = float(n) * w
    return out


def rank_stories(persona: Persona, q_feat: frozenset, themes: dict[str, float], lang: str,
                 used: frozenset, rng: random.Random) -> list[tuple[float, Story]]:
    """The persona's untold stories, best first: 2 x theme cue hits + 3 x wording overlap; ties by ``rng``."""
    ranked = []
    for s in persona.stories:
        if s.id in used:
            continue
        sc = 2.0 * sum(themes.get(t, 0.0) for t in s.tags) + 3.0 * coverage(q_feat, story_features(s, lang))
        ranked.append((sc, rng.random(), s))
    ranked.sort(key=lambda x: (-x[0], x[1]))
    return [(sc, s) for sc, _, s in ranked]


def story_in_text(persona: Persona, text: str, lang: str) -> Story | None:
    """The persona's story whose result or title ``text`` repeats (what a follow-up asks about)."""
    low = (text or "").lower()
    for s in persona.stories:
        if s.part("result", lang)[:30].lower() in low or s.part("title", lang).lower() in low:
            return s
    return None
