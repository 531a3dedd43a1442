"""The offline answer engine: a persona's spoken answer to any question, without the rubric.

No network and no language model: the answer is assembled from the knowledge
notes retrieved for the question text (``notes.py``), the persona's own facts,
STAR stories and values (``personas/data/<id>.json``) and its voice
(``personas/data/voices/<id>.json``), with a ``random.Random`` seeded from the
request (sha512 of a string, stable across processes), so the same request
always gives the same text. Thread-safe; the cost is the retrieval (one
question embedding when ``personas.knowledge`` is installed) plus ~1 ms.
"""

from __future__ import annotations

import random

from ..catalog import get_persona
from ..lexicon import features
from .budget import max_pieces
from .context import Ctx, infer_category
from .fit import fit, timing
from .notes import Retriever, find_notes, own_facts
from .plan import build
from .request import AnswerRequest, ComposedAnswer
from .stories import theme_scores
from .voice import common_frames, persona_voice

NOTES_K = 3


def split_follow_up(question_text: str) -> tuple[str, str | None]:
    """(the question to answer, the main question) for a room's follow-up text ``"<main>\\n<follow-up>"``;
    (text, None) for a plain question."""
    lines = [ln.strip() for ln in (question_text or "").splitlines() if ln.strip()]
    if len(lines) >= 2:
        return lines[-1], " ".join(lines[:-1])
    return (lines[0] if lines else ""), None


class OfflineAnswerEngine:
    """Composes persona answers from data files.

    Args:
        retrieve: ``retrieve(question_text, lang, k=3, persona_id=None) -> [note]`` to use instead of
            the knowledge base (tests); default: ``notes.find_notes``'s policy.
    """

    def __init__(self, retrieve: Retriever | None = None) -> None:
        self._retrieve = retrieve

    def notes(self, question: str, lang: str, persona_id: str, context: str | None = None) -> list:
        """The notes for ``question`` (``context``: a follow-up's main question)."""
        return find_notes(question, lang, k=NOTES_K, persona_id=persona_id, context=context, retrieve=self._retrieve)

    def compose(self, req: AnswerRequest) -> ComposedAnswer:
        """Compose one answer.

        Raises:
            KeyError: unknown ``persona_id``.
            ValueError: ``skill`` not an int in 1..5, ``lang`` not ko/en, or an unknown ``category``.
        """
        persona = get_persona(req.persona_id)
        req.validate()
        ctx = self._context(persona, req)
        story = build(ctx)
        think_ms, max_words = timing(req.budget_ms, req.skill, len(req.question_text or ""),
                                     persona.pace(req.lang), ctx.rng)
        text, told_story = fit(ctx.pieces, max_words, max_pieces(req.lang, req.skill, req.budget_ms))
        story_id = story.id if story is not None and told_story else None
        return ComposedAnswer(text=text, story_id=story_id, think_ms=think_ms,
                              words_per_minute=persona.pace(req.lang), note_ids=tuple(n.id for n in ctx.notes))

    def _context(self, persona, req: AnswerRequest) -> Ctx:
        lang = req.lang
        seed_key = "\x1f".join([persona.id, lang, str(req.skill), str(req.seed), req.question_id or "",
                                req.question_text or ""])
        rng = random.Random(seed_key)   # str seeds hash with sha512: stable across processes
        asked, main = split_follow_up(req.question_text)
        topic_text = f"{main} {asked}" if main else asked
        q_low = asked.lower()
        category = req.category or infer_category(q_low, lang)
        notes = self.notes(asked if main is None or self._retrieve is None else topic_text, lang, persona.id,
                           context=main)
        return Ctx(persona=persona, req=req, lang=lang, skill=req.skill, rng=rng, category=category,
                   question=asked, q_low=q_low, q_feat=features(asked), themes=theme_scores(q_low, lang),
                   notes=notes, facts=own_facts(persona, topic_text, lang),
                   voice=persona_voice(persona.id)[lang], common=common_frames()[lang], follow_up=main is not None)
