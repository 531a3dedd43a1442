"""What the room asks a persona (``AnswerRequest``) and what the engine gives back (``ComposedAnswer``)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from rooms.settings import CATEGORIES, LANGUAGES, Timings

LANGS = LANGUAGES
#: The answer must be fully spoken this long before the turn deadline, ms (the room's ``ai_margin_ms``).
MARGIN_MS = Timings().ai_margin_ms
THINK_MIN_MS = 800
THINK_MAX_MS = 3_000


@dataclass(frozen=True)
class AnswerRequest:
    """What the room asks a persona to answer. The rubric (key points, red flags) is not part of it:
    personas answer from their own knowledge notes, stories and values.

    Attributes:
        persona_id: catalogue id, e.g. ``"toss"``.
        question_text: the question in ``lang``; for a follow-up, the main question, a newline,
            then the follow-up question (the last line is what is answered).
        lang: ``"ko"`` or ``"en"``.
        skill: 1 (weak) .. 5 (strong).
        seed: any int; same request and seed -> identical answer.
        category: ``behavioural`` | ``technical`` | ``culture_fit`` | ``company``
            or None (inferred from the text).
        question_id: the bank id, if any (part of the seed).
        used_story_ids: stories this persona already told in this match; never reused.
        context: earlier answers to this question by other candidates in the room.
        budget_ms: milliseconds left until the turn deadline.
    """

    persona_id: str
    question_text: str
    lang: str = "ko"
    skill: int = 3
    seed: int = 0
    category: str | None = None
    question_id: str | None = None
    used_story_ids: frozenset[str] = frozenset()
    context: tuple[str, ...] = ()
    budget_ms: int = 60_000

    @classmethod
    def from_job(cls, job) -> "AnswerRequest":
        """The request for a room's :class:`rooms.jobs.AIAnswerJob` (same field names)."""
        return cls(persona_id=job.persona_id, question_text=job.question_text, lang=job.lang, skill=job.skill,
                   seed=job.seed, category=job.category, question_id=job.question_id,
                   used_story_ids=frozenset(job.used_story_ids), context=tuple(job.context),
                   budget_ms=job.budget_ms)

    def validate(self) -> None:
        """Raises ``ValueError`` for a skill not an int in 1..5, a lang not ko/en or an unknown category."""
        if isinstance(self.skill, bool) or not isinstance(self.skill, int) or not 1 <= self.skill <= 5:
            raise ValueError(f"skill must be an int 1-5, got {self.skill!r}")
        if self.lang not in LANGS:
            raise ValueError(f"lang must be 'ko' or 'en', got {self.lang!r}")
        if self.category is not None and self.category not in CATEGORIES:
            raise ValueError(f"unknown category {self.category!r}")


@dataclass(frozen=True)
class ComposedAnswer:
    """A composed answer.

    Attributes:
        text: the answer to stream (may be empty only when the budget is tiny).
        story_id: the STAR story used (add it to ``used_story_ids``), or None.
        think_ms: pause before speaking, 800..3000 ms.
        words_per_minute: the persona's pace in this language, whitespace-separated
            tokens per minute (English 125-165; Korean eojeol 104-128, since an
            eojeol is ~3.4 characters: about 350-430 syllables per minute).
        note_ids: the knowledge notes the answer drew on (for logs and the LLM prompt).
    """

    text: str
    story_id: str | None
    think_ms: int
    words_per_minute: int
    note_ids: tuple[str, ...] = ()

    @property
    def word_count(self) -> int:
        return len(self.text.split())

    @property
    def speaking_ms(self) -> int:
        """Time to stream ``text`` at ``words_per_minute``, in ms (rounded up)."""
        return math.ceil(self.word_count * 60_000 / self.words_per_minute)
