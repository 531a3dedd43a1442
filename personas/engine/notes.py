"""The knowledge an answer draws on: topic notes retrieved for the question text.

The notes come from ``personas.knowledge.retrieve`` (the shared knowledge base,
``personas/data/knowledge/*.json``, retrieved with the multilingual embeddings).
Where that package is not installed, a lexical fallback retrieves over the
personas' own knowledge entries (``knowledge`` in ``personas/data/<id>.json``)
so the engine still answers. Either way the engine sees :class:`NoteView`:
one note's text in one language.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Mapping, Sequence

from ..catalog import Knowledge, Persona, load_catalog
from ..lexicon import coverage, cue_hits, features
from .text import sentences

#: ``retrieve(question_text, lang, k, persona_id) -> [note]``, best first.
Retriever = Callable[..., Sequence]


@dataclass(frozen=True)
class NoteView:
    """One topic note in one language (see ``personas.knowledge.Note``).

    Attributes:
        points: 4-8 facts, each a spoken sentence.
        pitfalls: 1-3 plausible but partial or wrong claims (what a weak candidate says).
        example: a concrete example, number or anecdote seed.
        score: retrieval similarity if the retriever gave one (higher is closer), else None.
    """

    id: str
    domain: str
    title: str
    gist: str
    points: tuple[str, ...]
    pitfalls: tuple[str, ...]
    example: str
    followups: tuple[str, ...] = ()
    score: float | None = None


def _pick(value, lang: str):
    if isinstance(value, Mapping):
        return value.get(lang) or value.get("en") or ""
    return value


def view(note, lang: str) -> NoteView:
    """A retrieved note (language-resolved, or with ``{ko, en}`` fields) as a :class:`NoteView`."""
    g = lambda name, default="": _pick(getattr(note, name, default), lang)  # noqa: E731
    seq = lambda name: tuple(str(x) for x in (g(name, ()) or ()) if str(x).strip())  # noqa: E731
    score = getattr(note, "score", None)
    return NoteView(id=str(getattr(note, "id", "")), domain=str(g("domain")), title=str(g("title")),
                    gist=str(g("gist")), points=seq("points"), pitfalls=seq("pitfalls"), example=str(g("example")),
                    followups=seq("followups"), score=float(score) if isinstance(score, (int, float)) else None)


# --------------------------------------------------------------------------- lexical fallback

@dataclass(frozen=True)
class _FallbackNote:
    id: str
    domain: str
    title: str
    gist: str
    points: tuple[str, ...]
    pitfalls: tuple[str, ...]
    example: str
    followups: tuple[str, ...]
    score: float


def _as_note(k: Knowledge, lang: str, score: float) -> _FallbackNote:
    point = sentences(k.part("point", lang))
    trade = sentences(k.part("tradeoff", lang))
    return _FallbackNote(id=k.id, domain="persona", title=k.topics[lang][0], gist=point[0],
                         points=tuple(point[1:] + trade), pitfalls=(), example=k.part("example", lang),
                         followups=(), score=score)


@lru_cache(maxsize=4)
def _entries(lang: str) -> tuple[tuple[Knowledge, frozenset], ...]:
    out = []
    for p in load_catalog().values():
        for k in p.knowledge:
            out.append((k, features(" ".join(k.topics[lang]) + " " + k.part("point", lang))))
    return tuple(out)


def fallback_retrieve(question_text: str, lang: str, k: int = 3, persona_id: str | None = None) -> list:
    """Lexical retrieval over every persona's knowledge entries (used when ``personas.knowledge`` is absent).

    Score: 2 per topic cue in the question + 3 x bigram/word coverage, +10 for the asking persona's own
    entry when it matches at all (a persona answers from its own domain first).
    """
    low = (question_text or "").lower()
    q = features(question_text or "")
    ranked = []
    for i, (entry, doc) in enumerate(_entries(lang)):
        sc = 2.0 * len(cue_hits(low, entry.topics[lang], lang)) + 3.0 * coverage(q, doc)
        if sc > 0 and persona_id:
            # the persona's own entries first
            sc += 10.0 if entry.id.startswith(persona_id + "-") else 0.0
        ranked.append((sc, i, entry))
    ranked.sort(key=lambda x: (-x[0], x[1]))
    if ranked and persona_id and not ranked[0][2].id.startswith(persona_id + "-"):
        # no entry of its own: among the close runners-up, each persona starts from a different one
        best = ranked[0][0]
        close = [r for r in ranked if best > 0 and r[0] >= 0.7 * best]
        close.sort(key=lambda r: zlib.crc32(f"{persona_id}:{r[2].id}".encode()))
        ranked = close + [r for r in ranked if r not in close]
    return [_as_note(e, lang, sc) for sc, _, e in ranked[:k]]


@lru_cache(maxsize=1)
def default_retriever() -> Retriever:
    """``personas.knowledge.retrieve`` if that package is present, else :func:`fallback_retrieve`."""
    try:
        from ..knowledge import retrieve
    except ImportError:
        return fallback_retrieve
    return retrieve


# --------------------------------------------------------------------------- the persona's own facts

def own_facts(persona: Persona, question_text: str, lang: str) -> list[Knowledge]:
    """The persona's own knowledge entries whose topics the question names, best first.

    These carry the persona's domain (Toss payments, Coupang logistics...) and first-hand numbers.
    """
    low = (question_text or "").lower()
    q = features(question_text or "")
    hits = []
    for i, k in enumerate(persona.knowledge):
        n = len(cue_hits(low, k.topics[lang], lang))
        if n:
            hits.append((n + coverage(q, features(k.part("point", lang))), -i, k))
    hits.sort(key=lambda x: (-x[0], -x[1]))
    return [k for *_, k in hits]
