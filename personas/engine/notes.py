"""The knowledge an answer draws on: topic notes retrieved for the question text.

The notes come from the shared knowledge base (``personas.knowledge``:
``personas/data/knowledge/*.json``, retrieved with the multilingual e5 embeddings
the scorer already ships; note vectors are precomputed, one question embedding per
answer). When its best note is not on topic, a lexical
fallback looks at the personas' own knowledge entries (``knowledge`` in
``personas/data/<id>.json``: their company's domain, first-hand numbers). Either way
the engine sees :class:`NoteView`: one note's text in one language.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, replace
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

def _as_note(k: Knowledge, lang: str, score: float, own: bool) -> NoteView:
    """A persona knowledge entry as a note; another persona's first-hand example is left out."""
    point = sentences(k.part("point", lang))
    trade = sentences(k.part("tradeoff", lang))
    return NoteView(id=k.id, domain="persona", title=k.topics[lang][0], gist=point[0],
                         points=tuple(point[1:] + trade), pitfalls=(), example=k.part("example", lang) if own else "",
                         followups=(), score=score)


@lru_cache(maxsize=4)
def _entries(lang: str) -> tuple[tuple[Knowledge, frozenset], ...]:
    out = []
    for p in load_catalog().values():
        for k in p.knowledge:
            out.append((k, features(" ".join(k.topics[lang]) + " " + k.part("point", lang))))
    return tuple(out)


def fallback_retrieve(question_text: str, lang: str, k: int = 3, persona_id: str | None = None) -> list:
    """Lexical retrieval over every persona's knowledge entries (when the knowledge base has nothing on topic).

    Score: 2 per topic cue in the question + 3 x bigram/word coverage, +10 for the asking persona's own
    entry when the question names one of its topics (a persona answers from its own domain first).
    """
    low = (question_text or "").lower()
    q = features(question_text or "")
    ranked = []
    for i, (entry, doc) in enumerate(_entries(lang)):
        hits = len(cue_hits(low, entry.topics[lang], lang))
        sc = 2.0 * hits + 3.0 * coverage(q, doc)
        if hits and persona_id and entry.id.startswith(persona_id + "-"):
            sc += 10.0          # the persona's own entries first, when the question names their topic
        ranked.append((sc, i, entry))
    ranked.sort(key=lambda x: (-x[0], x[1]))
    if ranked and persona_id and not ranked[0][2].id.startswith(persona_id + "-"):
        # no entry of its own: among the close runners-up, each persona starts from a different one
        best = ranked[0][0]
        close = [r for r in ranked if best > 0 and r[0] >= 0.7 * best]
        close.sort(key=lambda r: zlib.crc32(f"{persona_id}:{r[2].id}".encode()))
        ranked = close + [r for r in ranked if r not in close]
    return [_as_note(e, lang, sc, bool(persona_id) and e.id.startswith(f"{persona_id}-")) for sc, _, e in ranked[:k]]


#: A knowledge-base note is trusted as on topic when its score (e5 cosine + boosts) is at least this,
#: or when it leads the third note by ``CLEAR_LEAD``. Measured on the bank with the first notes: on-topic
#: tops 0.89-0.98, off-topic tops 0.82-0.88 with leads under 0.02 (docs/evaluation.md).
ON_TOPIC_SCORE = 0.885
CLEAR_LEAD = 0.03
#: A lexical fallback entry counts when the question names one of its topics (score >= one cue hit).
FALLBACK_MIN = 2.0


def find_notes(question_text: str, lang: str, k: int = 3, persona_id: str | None = None,
               context: str | None = None, retrieve: Retriever | None = None) -> list[NoteView]:
    """The notes an answer draws on, best first; ``[]`` when nothing is on topic.

    ``retrieve`` (tests): used as is. Otherwise ``personas.knowledge.search`` (scores; ``context`` is the
    main question of a follow-up) when its best note is on topic (:data:`ON_TOPIC_SCORE`,
    :data:`CLEAR_LEAD`); else the personas' own knowledge entries that the question names (lexical,
    :func:`fallback_retrieve`); else nothing.
    """
    text = (question_text or "")[:2000]
    if not text.strip():
        return []
    if retrieve is not None:
        return [view(n, lang) for n in retrieve(text, lang, k=k, persona_id=persona_id)]
    from .. import knowledge

    hits = knowledge.search(text, lang, k=max(k, 3), persona_id=persona_id, context=context)
    if hits:
        top, third = hits[0][1], hits[min(2, len(hits) - 1)][1]
        if top >= ON_TOPIC_SCORE or top - third >= CLEAR_LEAD:
            return [replace(view(n, lang), score=float(sc)) for n, sc in hits[:k]]
    return [n for n in fallback_retrieve(f"{context} {text}" if context else text, lang, k=k, persona_id=persona_id)
            if n.score >= FALLBACK_MIN]


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
